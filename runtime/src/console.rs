//! Where the UART's bytes go and come from: the host terminal, or a buffer in tests.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A serial console attached to the UART.
pub trait Console: Send {
    /// Writes guest output.
    fn write(&mut self, bytes: &[u8]);
    /// Next byte of guest input, if one is available.
    fn read(&mut self) -> Option<u8>;
}

/// Guest output to the host's standard output; input from a reader thread on standard input.
pub struct StdioConsole {
    input: Option<std::sync::mpsc::Receiver<u8>>,
}

impl StdioConsole {
    /// A console on stdout; when `with_input`, a thread forwards stdin bytes.
    pub fn new(with_input: bool) -> Self {
        let input = with_input.then(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                use std::io::Read;
                let mut buf = [0u8; 256];
                let mut stdin = std::io::stdin();
                while let Ok(n) = stdin.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    for &b in &buf[..n] {
                        if tx.send(b).is_err() {
                            return;
                        }
                    }
                }
            });
            rx
        });
        Self { input }
    }
}

impl Console for StdioConsole {
    fn write(&mut self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }
    fn read(&mut self) -> Option<u8> {
        self.input.as_ref()?.try_recv().ok()
    }
}

/// A console that records output and replays scripted input (tests, benchmarks).
#[derive(Clone, Default)]
pub struct BufferConsole {
    output: Arc<Mutex<Vec<u8>>>,
    input: Arc<Mutex<VecDeque<u8>>>,
}

impl BufferConsole {
    /// An empty console.
    pub fn new() -> Self {
        Self::default()
    }
    /// Queues input bytes for the guest.
    pub fn push_input(&self, bytes: &[u8]) {
        self.input.lock().expect("console input lock").extend(bytes);
    }
    /// Everything the guest wrote so far.
    pub fn output(&self) -> Vec<u8> {
        self.output.lock().expect("console output lock").clone()
    }
}

impl Console for BufferConsole {
    fn write(&mut self, bytes: &[u8]) {
        self.output.lock().expect("console output lock").extend_from_slice(bytes);
    }
    fn read(&mut self) -> Option<u8> {
        self.input.lock().expect("console input lock").pop_front()
    }
}

/// One console shared by several devices (the UART and HTIF).
#[derive(Clone)]
pub struct SharedConsole(pub Arc<Mutex<Box<dyn Console>>>);

impl SharedConsole {
    /// Shares `c`.
    pub fn new(c: Box<dyn Console>) -> Self {
        Self(Arc::new(Mutex::new(c)))
    }
}

impl Console for SharedConsole {
    fn write(&mut self, bytes: &[u8]) {
        self.0.lock().expect("console lock").write(bytes);
    }
    fn read(&mut self) -> Option<u8> {
        self.0.lock().expect("console lock").read()
    }
}
