//! One envelope per line on standard output.

use std::io::Write;

use super::{write_lines, Envelope, Sink, SinkError};

/// Prints every envelope as one JSON line on standard output (for CLIs and
/// debugging).
#[derive(Debug, Default, Clone, Copy)]
pub struct StdoutSink;

impl StdoutSink {
    /// A stdout sink.
    pub fn new() -> Self {
        StdoutSink
    }
}

impl Sink for StdoutSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        let mut buffer = Vec::new();
        write_lines(batch, &mut buffer);
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&buffer)?;
        stdout.flush()?;
        Ok(())
    }

    fn name(&self) -> &str {
        "stdout"
    }
}
