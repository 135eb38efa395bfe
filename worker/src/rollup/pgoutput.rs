//! The messages of Postgres' logical replication protocol (`pgoutput`, version 1) that
//! change tracking reads: relations, and the new rows of inserts and updates, with their
//! values as text. Every other message is [`Message::Other`].
//! See <https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html>.

/// One decoded message.
#[derive(Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A table's id, name and published columns, in the order of tuples.
    Relation {
        id: u32,
        name: String,
        columns: Vec<String>,
    },
    /// A row inserted, or the new version of a row updated: each column's text, `None` for
    /// NULL or a value unchanged and stored out of line.
    Row {
        relation: u32,
        inserted: bool,
        values: Vec<Option<&'a str>>,
    },
    Other,
}

/// A message that does not follow the protocol.
#[derive(Debug, thiserror::Error)]
#[error("pgoutput: {0}")]
pub struct Malformed(&'static str);

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.b.len() < n {
            return Err(Malformed("message cut short"));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Malformed> {
        Ok(u16::from_be_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }

    fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn cstr(&mut self) -> Result<&'a str, Malformed> {
        let end = self
            .b
            .iter()
            .position(|&c| c == 0)
            .ok_or(Malformed("unterminated string"))?;
        let s = std::str::from_utf8(&self.b[..end]).map_err(|_| Malformed("not UTF-8"))?;
        self.b = &self.b[end + 1..];
        Ok(s)
    }

    fn tuple(&mut self) -> Result<Vec<Option<&'a str>>, Malformed> {
        let n = self.u16()? as usize;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            values.push(match self.u8()? {
                b'n' | b'u' => None,
                b't' => {
                    let len = self.u32()? as usize;
                    let text = std::str::from_utf8(self.take(len)?)
                        .map_err(|_| Malformed("a value not UTF-8"))?;
                    Some(text)
                }
                _ => return Err(Malformed("unknown column kind")),
            });
        }
        Ok(values)
    }
}

/// Decodes one message.
pub fn parse(b: &[u8]) -> Result<Message<'_>, Malformed> {
    let mut r = Reader { b };
    match r.u8()? {
        b'R' => {
            let id = r.u32()?;
            let _namespace = r.cstr()?;
            let name = r.cstr()?.to_owned();
            let _replica_identity = r.u8()?;
            let n = r.u16()?;
            let mut columns = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let _flags = r.u8()?;
                columns.push(r.cstr()?.to_owned());
                let _type = r.u32()?;
                let _modifier = r.u32()?;
            }
            Ok(Message::Relation { id, name, columns })
        }
        b'I' => {
            let relation = r.u32()?;
            if r.u8()? != b'N' {
                return Err(Malformed("an insert without its new row"));
            }
            Ok(Message::Row {
                relation,
                inserted: true,
                values: r.tuple()?,
            })
        }
        b'U' => {
            let relation = r.u32()?;
            let mut kind = r.u8()?;
            if kind == b'K' || kind == b'O' {
                r.tuple()?;
                kind = r.u8()?;
            }
            if kind != b'N' {
                return Err(Malformed("an update without its new row"));
            }
            Ok(Message::Row {
                relation,
                inserted: false,
                values: r.tuple()?,
            })
        }
        _ => Ok(Message::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(values: &[Option<&str>]) -> Vec<u8> {
        let mut b = (values.len() as u16).to_be_bytes().to_vec();
        for v in values {
            match v {
                None => b.push(b'n'),
                Some(s) => {
                    b.push(b't');
                    b.extend((s.len() as u32).to_be_bytes());
                    b.extend(s.as_bytes());
                }
            }
        }
        b
    }

    #[test]
    fn relations_inserts_and_updates_are_read() {
        let mut rel = vec![b'R'];
        rel.extend(16_384u32.to_be_bytes());
        rel.extend(b"public\0chats\0d");
        rel.extend(2u16.to_be_bytes());
        for name in ["id", "started_at"] {
            rel.push(1);
            rel.extend(name.as_bytes());
            rel.push(0);
            rel.extend(20u32.to_be_bytes());
            rel.extend(u32::MAX.to_be_bytes());
        }
        assert_eq!(
            parse(&rel).unwrap(),
            Message::Relation {
                id: 16_384,
                name: "chats".into(),
                columns: vec!["id".into(), "started_at".into()]
            }
        );

        let mut ins = vec![b'I'];
        ins.extend(16_384u32.to_be_bytes());
        ins.push(b'N');
        ins.extend(tuple(&[Some("7"), None]));
        assert_eq!(
            parse(&ins).unwrap(),
            Message::Row {
                relation: 16_384,
                inserted: true,
                values: vec![Some("7"), None]
            }
        );

        // An update that changed the key carries the old key first.
        let mut upd = vec![b'U'];
        upd.extend(16_384u32.to_be_bytes());
        upd.push(b'K');
        upd.extend(tuple(&[Some("6"), None]));
        upd.push(b'N');
        upd.extend(tuple(&[Some("7"), Some("2026-12-01 10:00:00+00")]));
        let Message::Row {
            values, inserted, ..
        } = parse(&upd).unwrap()
        else {
            panic!("a row")
        };
        assert!(!inserted);
        assert_eq!(values, vec![Some("7"), Some("2026-12-01 10:00:00+00")]);

        assert_eq!(parse(b"B\0\0").unwrap(), Message::Other);
        assert!(parse(&ins[..ins.len() - 1]).is_err(), "cut short");
    }
}
