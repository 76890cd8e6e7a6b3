//! The JSON log lines' span fields, written as each span opens. The request span opens for every
//! request, whether or not a line is ever written in it, and tracing-subscriber's own JSON field
//! formatter builds a map of values for it each time; this one writes the same JSON object
//! directly, so a request that logs nothing costs little more than the span itself.

use std::fmt::{self, Debug, Write};
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// Writes a span's fields as one JSON object, as the JSON event formatter reads them back.
#[derive(Debug, Default, Clone, Copy)]
pub struct SpanFieldsAsJson;

impl<'writer> FormatFields<'writer> for SpanFieldsAsJson {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut object = JsonObject { writer: &mut writer, empty: true, result: Ok(()) };
        fields.record(&mut object);
        let JsonObject { empty, result, .. } = object;
        result?;
        writer.write_str(if empty { "{}" } else { "}" })
    }
}

/// A JSON object being written, field by field.
struct JsonObject<'a, 'writer> {
    writer: &'a mut Writer<'writer>,
    empty: bool,
    result: fmt::Result,
}

impl JsonObject<'_, '_> {
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let opening = if self.empty { '{' } else { ',' };
        self.empty = false;
        self.result = self
            .writer
            .write_char(opening)
            .and_then(|()| write_json_string(self.writer, field.name()))
            .and_then(|()| self.writer.write_char(':'))
            .and_then(|()| value(self.writer));
    }
}

impl Visit for JsonObject<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |writer| write_json_string(writer, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |writer| write!(writer, "{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.field(field, |writer| write_json_string(writer, &format!("{value:?}")));
    }
}

/// `text` as a JSON string, quoted and escaped.
fn write_json_string(writer: &mut impl Write, text: &str) -> fmt::Result {
    writer.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => writer.write_str("\\\"")?,
            '\\' => writer.write_str("\\\\")?,
            c if u32::from(c) < 0x20 => write!(writer, "\\u{:04x}", u32::from(c))?,
            c => writer.write_char(c)?,
        }
    }
    writer.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_and_escaped_as_json() {
        let mut written = String::new();
        write_json_string(&mut written, "a \"quoted\" \\ path\n\u{1}é").unwrap();
        let read: String = serde_json::from_str(&written).unwrap();
        assert_eq!(read, "a \"quoted\" \\ path\n\u{1}é");
    }
}
