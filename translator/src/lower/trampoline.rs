//! Trampolines from generated code to the `extern "C"` helpers.
//!
//! Generated code calls helpers in Cranelift's `preserve_all` convention: the
//! call clobbers no register, so the register allocator need not spill the
//! guest registers it keeps in host registers around every slow path (which
//! is most of what made compiling slow). Each trampoline saves what the C
//! call clobbers, calls the helper, and stores its result in the
//! [`Ctx`](crate::helpers::Ctx) (`leave`).
//!
//! The other way round, the dispatcher enters region code (`tail`
//! convention, so regions can chain with tail calls) through the `enter`
//! trampoline, a C-convention function `(hart, ctx, entry, code) -> u64`.

use super::{LowerError, I64};
use crate::arena::CodeArena;
use crate::helpers::{self, ctx_offsets};
use cranelift_codegen::ir::{AbiParam, Function, InstBuilder, MemFlagsData, Signature, UserFuncName};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// Addresses of the trampolines.
#[derive(Clone, Copy, Debug)]
pub struct Trampolines {
    /// `(ctx, insn, handler, pc)`, leave flag in `ctx.leave`.
    pub exec: usize,
    /// `extern "C" fn(hart, ctx, entry, code) -> u64`: calls region code `code`.
    pub enter: usize,
}

/// Number of arguments of the `exec` trampoline.
pub const ARGS_EXEC: usize = 4;

/// The signature generated code calls a trampoline with.
pub fn signature(args: usize) -> Signature {
    let mut s = Signature::new(CallConv::PreserveAll);
    s.params.extend((0..args).map(|_| AbiParam::new(I64)));
    s
}

fn build(isa: &dyn TargetIsa, target: usize, args: usize, result_at: i32) -> Result<Vec<u8>, LowerError> {
    let mut ctx = Context::new();
    ctx.func = Function::with_name_signature(UserFuncName::user(0, 1), signature(args));
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let mut c = Signature::new(isa.default_call_conv());
        c.params.extend((0..args).map(|_| AbiParam::new(I64)));
        c.returns.push(AbiParam::new(I64));
        let sig = b.import_signature(c);
        let callee = b.ins().iconst(I64, target as i64);
        let call = b.ins().call_indirect(sig, callee, &params);
        let r = b.inst_results(call)[0];
        b.ins().store(MemFlagsData::trusted(), r, params[0], result_at);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(isa.frontend_config());
    }
    let mut ctrl = Default::default();
    let compiled = ctx.compile(isa, &mut ctrl).map_err(|e| LowerError::Codegen(format!("{:?}", e.inner)))?;
    if !compiled.buffer.relocs().is_empty() {
        return Err(LowerError::Relocs(compiled.buffer.relocs().len()));
    }
    Ok(compiled.code_buffer().to_vec())
}

/// The C-to-`tail` entry trampoline.
fn build_enter(isa: &dyn TargetIsa) -> Result<Vec<u8>, LowerError> {
    let mut ctx = Context::new();
    let mut sig = Signature::new(isa.default_call_conv());
    sig.params.extend((0..4).map(|_| AbiParam::new(I64)));
    sig.returns.push(AbiParam::new(I64));
    ctx.func = Function::with_name_signature(UserFuncName::user(0, 2), sig);
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let p = b.block_params(entry).to_vec();
        let sig = b.import_signature(super::region_signature());
        let call = b.ins().call_indirect(sig, p[3], &[p[0], p[1], p[2]]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
        b.seal_all_blocks();
        b.finalize(isa.frontend_config());
    }
    let mut ctrl = Default::default();
    let compiled = ctx.compile(isa, &mut ctrl).map_err(|e| LowerError::Codegen(format!("{:?}", e.inner)))?;
    if !compiled.buffer.relocs().is_empty() {
        return Err(LowerError::Relocs(compiled.buffer.relocs().len()));
    }
    Ok(compiled.code_buffer().to_vec())
}

/// Compiles the trampolines into `arena`.
pub fn install(isa: &dyn TargetIsa, arena: &mut CodeArena) -> Result<Trampolines, LowerError> {
    let mut put = |target: usize, args: usize, at: i32| -> Result<usize, LowerError> {
        let code = build(isa, target, args, at)?;
        arena.install(&code).map(|p| p as usize).ok_or(LowerError::Codegen("trampoline arena full".into()))
    };
    Ok(Trampolines {
        exec: put(helpers::exec as *const () as usize, ARGS_EXEC, ctx_offsets::LEAVE)?,
        enter: {
            let code = build_enter(isa)?;
            arena.install(&code).map(|p| p as usize).ok_or(LowerError::Codegen("trampoline arena full".into()))?
        },
    })
}
