//! Finding sessions whatever search operators Citrix accepts.
//!
//! Citrix does not document which operator each search property accepts (`SearchOperator` lists
//! 25, and nothing says which pairs are valid), and it answers an operator it does not accept on
//! a property with a 400 parameter error. So the officer's free text is tried, in this order:
//! 1. `Contains`, the operator that says what the officer means;
//! 2. `Like` with the text between `*` wildcards (the Broker SDK's wildcard syntax). Citrix does
//!    not document `Like`'s syntax either, so an empty `Like` answer is only trusted once a
//!    `Like` search has found something (a literal `*` would match nothing); until then the
//!    sessions are listed to be sure;
//! 3. `GET /Sessions`, every page, filtered here with the same meaning ([`SessionQuery::matches`]).
//!
//! The client remembers how far down it had to go, so later searches do not pay the 400 again.
//! The caller gets sessions, not the 400.
//!
//! The page's continuation is this module's own opaque token wrapping Citrix's, because the next
//! page must be asked for the same way as the first (with the same operator, or by listing and
//! skipping what was already handed out).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crate::sessions::{PageRequest, SessionPage, SessionQuery, TextOperator};
use crate::{CitrixClient, Error, Reply};

/// Citrix's default page size when none is given (its parameter docs say it "might" be 250).
const DEFAULT_PAGE: u32 = 250;
/// Listing pages as large as Citrix allows: when the client filters, fewer round trips.
const LIST_PAGE: u32 = 1000;

/// How a search is done, in the order tried; the client only ever moves down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Way {
    Contains = 0,
    Like = 1,
    List = 2,
}

impl Way {
    fn from_u8(v: u8) -> Way {
        match v {
            0 => Way::Contains,
            1 => Way::Like,
            _ => Way::List,
        }
    }

    fn next(self) -> Way {
        match self {
            Way::Contains => Way::Like,
            Way::Like | Way::List => Way::List,
        }
    }
}

/// What a client learnt about Citrix's search, shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct SearchMemory {
    way: AtomicU8,
    /// A `Like` search with wildcards found sessions: Citrix reads `*` as a wildcard.
    like_proven: AtomicBool,
}

impl SearchMemory {
    fn way(&self) -> Way {
        Way::from_u8(self.way.load(Ordering::Relaxed))
    }

    fn give_up(&self, way: Way) {
        self.way.fetch_max(way.next() as u8, Ordering::Relaxed);
    }
}

/// Where the next page continues.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// Citrix's continuation token of a search done with this operator.
    Search {
        operator: TextOperator,
        token: String,
    },
    /// The listing page fetched with `token` (`None`: the first), from its item `skip` on.
    List { token: Option<String>, skip: usize },
}

impl Cursor {
    fn encode(&self) -> String {
        match self {
            Cursor::Search {
                operator: TextOperator::Contains,
                token,
            } => format!("c:{token}"),
            Cursor::Search {
                operator: TextOperator::Like,
                token,
            } => format!("w:{token}"),
            Cursor::List { token, skip } => {
                format!("l{skip}:{}", token.as_deref().unwrap_or_default())
            }
        }
    }

    /// A token this module issued; anything else is taken for a bare Citrix search token.
    fn decode(text: &str) -> Cursor {
        let search = |operator, token: &str| Cursor::Search {
            operator,
            token: token.to_owned(),
        };
        if let Some(token) = text.strip_prefix("c:") {
            return search(TextOperator::Contains, token);
        }
        if let Some(token) = text.strip_prefix("w:") {
            return search(TextOperator::Like, token);
        }
        let list = text
            .strip_prefix('l')
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(skip, token)| Some((skip.parse().ok()?, token)));
        match list {
            Some((skip, token)) => Cursor::List {
                token: (!token.is_empty()).then(|| token.to_owned()),
                skip,
            },
            None => search(TextOperator::Contains, text),
        }
    }
}

/// See the module docs.
pub(crate) async fn search(
    client: &CitrixClient,
    site: &str,
    query: &SessionQuery,
    page: &PageRequest,
) -> Result<Reply<SessionPage>, Error> {
    let limit = page.limit;
    if let Some(text) = page.continuation.as_deref().filter(|c| !c.is_empty()) {
        return match Cursor::decode(text) {
            Cursor::Search { operator, token } => {
                search_once(client, site, query, operator, limit, Some(token))
                    .await
                    .map_err(|(_, e)| e)
            }
            Cursor::List { token, skip } => {
                list_filtered(client, site, query, limit, token, skip).await
            }
        };
    }
    if !query.has_text() {
        // Only the state's `Equals` is sent: the operator memory does not apply, and a 400 says
        // nothing about the text operators.
        return match search_once(client, site, query, TextOperator::Contains, limit, None).await {
            Err((Some(400), error)) => {
                tracing::info!(%error, "search refused; listing sessions instead");
                list_filtered(client, site, query, limit, None, 0).await
            }
            other => other.map_err(|(_, e)| e),
        };
    }
    let mut way = client.search.way();
    loop {
        let operator = match way {
            Way::Contains => TextOperator::Contains,
            Way::Like if !query.has_wildcards() => TextOperator::Like,
            Way::Like | Way::List => {
                return list_filtered(client, site, query, limit, None, 0).await;
            }
        };
        match search_once(client, site, query, operator, limit, None).await {
            Ok(reply) if operator == TextOperator::Like => {
                if !reply.value.items.is_empty() {
                    client.search.like_proven.store(true, Ordering::Relaxed);
                } else if !client.search.like_proven.load(Ordering::Relaxed) {
                    return list_filtered(client, site, query, limit, None, 0).await;
                }
                return Ok(reply);
            }
            Ok(reply) => return Ok(reply),
            Err((Some(400), error)) => {
                tracing::info!(?way, %error, "search operator refused; trying the next way");
                client.search.give_up(way);
                way = way.next();
            }
            Err((_, error)) => return Err(error),
        }
    }
}

/// One search page, its continuation wrapped; on failure, the HTTP status with the error.
async fn search_once(
    client: &CitrixClient,
    site: &str,
    query: &SessionQuery,
    operator: TextOperator,
    limit: Option<u32>,
    token: Option<String>,
) -> Result<Reply<SessionPage>, (Option<u16>, Error)> {
    let mut reply = client
        .search_page(site, query, operator, limit, token.as_deref())
        .await
        .map_err(|f| (f.status, f.error))?;
    reply.value.continuation = reply
        .value
        .continuation
        .take()
        .map(|token| Cursor::Search { operator, token }.encode());
    Ok(reply)
}

/// Lists sessions from the cursor on and keeps those that match, until the page is full. A
/// continuation is returned only when another match exists, so the officer is never offered an
/// empty "more".
async fn list_filtered(
    client: &CitrixClient,
    site: &str,
    query: &SessionQuery,
    limit: Option<u32>,
    mut token: Option<String>,
    mut skip: usize,
) -> Result<Reply<SessionPage>, Error> {
    let want = limit.unwrap_or(DEFAULT_PAGE).clamp(1, LIST_PAGE) as usize;
    let mut items = Vec::new();
    loop {
        let reply = client
            .list_page(site, Some(LIST_PAGE), token.as_deref())
            .await?;
        let transaction_id = reply.transaction_id;
        let listed = reply.value;
        for (i, session) in listed.items.into_iter().enumerate().skip(skip) {
            if !query.matches(&session) {
                continue;
            }
            if items.len() == want {
                return Ok(Reply {
                    value: SessionPage {
                        items,
                        continuation: Some(Cursor::List { token, skip: i }.encode()),
                        total_items: None,
                    },
                    transaction_id,
                    raw: None,
                });
            }
            items.push(session);
        }
        skip = 0;
        match listed.continuation {
            Some(next) => token = Some(next),
            None => {
                return Ok(Reply {
                    value: SessionPage {
                        items,
                        continuation: None,
                        total_items: None,
                    },
                    transaction_id,
                    raw: None,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_with_any_citrix_token() {
        for token in ["", "abc", "a+b/c==", "l3:x", "c:y", "w:"] {
            for cursor in [
                Cursor::Search {
                    operator: TextOperator::Contains,
                    token: token.to_owned(),
                },
                Cursor::Search {
                    operator: TextOperator::Like,
                    token: token.to_owned(),
                },
                Cursor::List {
                    token: (!token.is_empty()).then(|| token.to_owned()),
                    skip: 7,
                },
            ] {
                assert_eq!(Cursor::decode(&cursor.encode()), cursor);
            }
        }
        assert_eq!(
            Cursor::decode("bare+token="),
            Cursor::Search {
                operator: TextOperator::Contains,
                token: "bare+token=".into()
            }
        );
    }

    #[test]
    fn the_way_only_moves_down() {
        let memory = SearchMemory::default();
        memory.give_up(Way::Contains);
        assert_eq!(memory.way(), Way::Like);
        memory.give_up(Way::Like);
        assert_eq!(memory.way(), Way::List);
        // A search that started before the memory moved on cannot move it back up.
        memory.give_up(Way::Contains);
        assert_eq!(memory.way(), Way::List);
    }
}
