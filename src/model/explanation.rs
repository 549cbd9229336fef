//! What `yanpan explain NAME` prints for a detector or a rule.

/// What `yanpan explain DETECTOR` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub method: String,
    /// (setting as in the pipeline file, value in force).
    pub settings: Vec<(String, String)>,
    pub example: String,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Method\n  {}\n", self.method.replace('\n', "\n  "))?;
        writeln!(f, "Settings")?;
        for (k, v) in &self.settings {
            writeln!(f, "  {k} = {v}")?;
        }
        write!(f, "\nExample\n  {}", self.example.replace('\n', "\n  "))
    }
}
