//! Text tables, printed aligned for terminals or as Markdown.

/// A table of strings.
#[derive(Clone, Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn numeric(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s != "-"
        && (s.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') || s.ends_with('x') && s.len() > 1)
        && s.chars().all(|c| c.is_ascii_digit() || ".,+-%x inf".contains(c))
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    /// Appends a row (padded or cut to the header's width).
    pub fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The column titles.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    fn right_aligned(&self) -> Vec<bool> {
        (0..self.header.len())
            .map(|c| {
                let mut any = false;
                for r in &self.rows {
                    let s = r[c].trim();
                    if s.is_empty() || s == "-" {
                        continue;
                    }
                    if !numeric(s) {
                        return false;
                    }
                    any = true;
                }
                any
            })
            .collect()
    }

    /// Aligned plain text, two spaces between columns, no trailing blanks.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.header[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let right = self.right_aligned();
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (c, cell) in cells.iter().enumerate() {
                if c > 0 {
                    s.push_str("  ");
                }
                let pad = widths[c] - cell.chars().count();
                if right[c] {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad));
                }
            }
            s.truncate(s.trim_end().len());
            s.push('\n');
            s
        };
        let mut out = line(&self.header);
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }

    /// A GitHub-flavoured Markdown table.
    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let right = self.right_aligned();
        let mut out = format!("| {} |\n", self.header.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | "));
        out.push('|');
        for r in &right {
            out.push_str(if *r { "---:|" } else { "---|" });
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_align_right_and_markdown_escapes_pipes() {
        let mut t = Table::new(&["name", "value"]);
        t.row(vec!["a|b".into(), "7".into()]);
        t.row(vec!["long name".into(), "1.25x".into()]);
        assert_eq!(t.render(), "name       value\na|b            7\nlong name  1.25x\n");
        assert!(t.markdown().contains("| a\\|b | 7 |"));
        assert!(t.markdown().contains("|---|---:|"));
    }
}
