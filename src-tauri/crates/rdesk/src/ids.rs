//! The session IDs of a command: from its arguments and from a file or standard input, read by
//! the same rules as the window's paste box. Anything that is not an ID stops the command before
//! anything is sent.

use std::io::Read as _;
use std::path::Path;

use citrix_cloud::ids::parse_pasted;
use desk_core::Error;

use crate::cli::Ids;
use crate::exit::Failure;

/// The distinct IDs, in the order given.
pub fn gather(ids: &Ids) -> Result<Vec<String>, Failure> {
    let mut text = ids.ids.join("\n");
    if let Some(file) = &ids.file {
        // Lines starting with # are comments (a ticket number, who asked).
        for line in read(file)?
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
        {
            text.push('\n');
            text.push_str(line);
        }
    }
    let parsed = parse_pasted(&text);
    if let Some(bad) = parsed.rejected.first() {
        let more = match parsed.rejected.len() {
            1 => String::new(),
            n => format!(" ({} more pieces are not session IDs either.)", n - 1),
        };
        return Err(citrix_cloud::Error::InvalidSessionId {
            message: format!(
                "\"{}\" {}. Nothing was sent: check the session IDs and run the command again.{more}",
                bad.piece, bad.reason
            ),
            transaction_id: None,
        }
        .into());
    }
    if parsed.valid.is_empty() {
        return Err(Error::invalid(
            "Give at least one session ID: after the command, or in a file with --file FILE \
             (--file - reads them from standard input).",
        )
        .into());
    }
    Ok(parsed.valid.iter().map(ToString::to_string).collect())
}

fn read(file: &Path) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map_err(|e| {
        Error::invalid(format!(
            "The session IDs could not be read from {} ({e}).",
            file.display()
        ))
    })?;
    Ok(text)
}
