//! The layout of the committed plan file: serde_json's pretty printing, except
//! that a short array of scalars (rules' `one_of` values, `checks`) stays on one line.
//!
//! `["a", "b"]` rather than four lines keeps a committed plan short and its
//! diffs readable. An array is written on one line when every item is a
//! scalar and the items take at most [`ONE_LINE_WIDTH`] bytes (each counted
//! with its `", "` separator).

use std::io;

use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

/// The widest array (items and their separators, in bytes) kept on one line.
const ONE_LINE_WIDTH: usize = 72;

/// serde_json's [`PrettyFormatter`] (two-space indent) with short scalar arrays on one line.
pub(crate) struct PlanFormatter {
    pretty: PrettyFormatter<'static>,
    /// The innermost open array while it may still fit on one line: its items
    /// are buffered here until it closes or turns out to hold a container.
    line: Option<Line>,
}

#[derive(Default)]
struct Line {
    items: Vec<Vec<u8>>,
    item: Vec<u8>,
}

impl PlanFormatter {
    pub(crate) fn new() -> Self {
        PlanFormatter {
            pretty: PrettyFormatter::with_indent(b"  "),
            line: None,
        }
    }

    /// The buffered array holds a container: write what was buffered in the
    /// pretty layout and continue in it. `in_item` is true when an item has
    /// begun (its `begin_array_value` was buffered, not written).
    fn break_line<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        in_item: bool,
    ) -> io::Result<()> {
        let Some(line) = self.line.take() else {
            return Ok(());
        };
        self.pretty.begin_array(writer)?;
        for (index, item) in line.items.iter().enumerate() {
            self.pretty.begin_array_value(writer, index == 0)?;
            writer.write_all(item)?;
            self.pretty.end_array_value(writer)?;
        }
        if in_item {
            self.pretty
                .begin_array_value(writer, line.items.is_empty())?;
        }
        Ok(())
    }
}

/// Scalars go to the buffered line when there is one, else to the writer.
macro_rules! scalars {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[inline]
        fn $method<W: ?Sized + io::Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            match &mut self.line {
                Some(line) => CompactFormatter.$method(&mut line.item $(, $arg)*),
                None => self.pretty.$method(writer $(, $arg)*),
            }
        }
    )*};
}

impl Formatter for PlanFormatter {
    scalars! {
        write_null();
        write_bool(value: bool);
        write_i8(value: i8);
        write_i16(value: i16);
        write_i32(value: i32);
        write_i64(value: i64);
        write_i128(value: i128);
        write_u8(value: u8);
        write_u16(value: u16);
        write_u32(value: u32);
        write_u64(value: u64);
        write_u128(value: u128);
        write_f32(value: f32);
        write_f64(value: f64);
        write_number_str(value: &str);
        begin_string();
        end_string();
        write_string_fragment(fragment: &str);
        write_char_escape(char_escape: CharEscape);
        write_raw_fragment(fragment: &str);
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.break_line(writer, true)?;
        self.line = Some(Line::default());
        Ok(())
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let Some(line) = self.line.take() else {
            return self.pretty.end_array(writer);
        };
        let width: usize = line.items.iter().map(|item| item.len() + 2).sum();
        if width <= ONE_LINE_WIDTH {
            writer.write_all(b"[")?;
            for (index, item) in line.items.iter().enumerate() {
                if index > 0 {
                    writer.write_all(b", ")?;
                }
                writer.write_all(item)?;
            }
            writer.write_all(b"]")
        } else {
            self.line = Some(line);
            self.break_line(writer, false)?;
            self.pretty.end_array(writer)
        }
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        match &mut self.line {
            Some(line) => {
                line.item.clear();
                Ok(())
            }
            None => self.pretty.begin_array_value(writer, first),
        }
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        match &mut self.line {
            Some(line) => {
                let item = std::mem::take(&mut line.item);
                line.items.push(item);
                Ok(())
            }
            None => self.pretty.end_array_value(writer),
        }
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.break_line(writer, true)?;
        self.pretty.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.pretty.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(writer)
    }
}

/// `value` as the plan file writes JSON.
pub(crate) fn to_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PlanFormatter::new());
    // Serializing plain data (strings, numbers, maps with string keys) into
    // memory cannot fail.
    if value.serialize(&mut serializer).is_err() {
        out.clear();
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn short_scalar_arrays_stay_on_one_line() {
        let value = json!({
            "a": ["x", "y"],
            "b": [],
            "c": [{"d": [1, 2]}, [3]],
            "e": ["a very long string that takes most of the line", "and another one too"],
            "f": {},
        });
        assert_eq!(
            super::to_string(&value),
            r#"{
  "a": ["x", "y"],
  "b": [],
  "c": [
    {
      "d": [1, 2]
    },
    [3]
  ],
  "e": [
    "a very long string that takes most of the line",
    "and another one too"
  ],
  "f": {}
}"#
        );
    }
}
