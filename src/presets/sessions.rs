//! Session protocols as presets: Socket.IO 4 / Engine.IO 4 polling, SockJS
//! xhr-polling, Bayeux (Faye, CometD) and ASP.NET Core SignalR long polling. Each is
//! plain profile data — variables, bootstrap steps, a decoder, conditions — with
//! nothing in the engine that knows its name.

use crate::profile::{HoldParam, Profile};
use crate::protocol::{
    Decoder, Extract, Fresh, Match, Reply, RequestSpec, SessionSpec, Step, Variable,
};

/// `url` with `query` added (after `?`, or `&` when it has a query already).
fn with_query(url: &str, query: &str) -> String {
    let (head, fragment) = url.split_once('#').unwrap_or((url, ""));
    let sep = if !head.contains('?') {
        "?"
    } else if head.ends_with('?') || head.ends_with('&') {
        ""
    } else {
        "&"
    };
    if fragment.is_empty() {
        format!("{head}{sep}{query}")
    } else {
        format!("{head}{sep}{query}#{fragment}")
    }
}

fn step(name: &str, request: RequestSpec, decoder: Decoder) -> Step {
    Step {
        name: name.to_owned(),
        request,
        decoder,
        ..Step::default()
    }
}

/// Socket.IO v4 over Engine.IO v4 HTTP long-polling (no upgrade). The endpoint is the
/// Socket.IO path, `http://HOST/socket.io/`.
///
/// Open (`GET ?EIO=4&transport=polling` → `0{"sid":…}`), connect to the main namespace
/// (`POST 40`), then poll with the sid: `42["name",…]` are events; the server's ping
/// `2` is answered with a pong `3` (else it closes the session after pingInterval +
/// pingTimeout); `400 {"code":1}` ("Session ID unknown"), a close `1` or a disconnect
/// `41` end the session, and the poller opens a new one.
pub(super) fn socketio(endpoint: &str) -> Profile {
    let text = ("Content-Type", "text/plain;charset=UTF-8");
    Profile {
        url: with_query(endpoint, "EIO=4&transport=polling&sid={{sid}}"),
        // The server holds a poll until it has packets or pings (pingInterval, 25 s
        // by default).
        hold_param: HoldParam::None,
        hold_s: 25,
        decoder: Decoder::SocketIo,
        session: SessionSpec {
            bootstrap: vec![
                Step {
                    extract: vec![Extract::pointer("sid", "/data/sid", true)],
                    ..step(
                        "open",
                        RequestSpec::new("GET", "?EIO=4&transport=polling", None),
                        Decoder::EngineIo,
                    )
                },
                step(
                    "connect",
                    RequestSpec::new("POST", "", Some("40")).header(text.0, text.1),
                    Decoder::Json,
                ),
            ],
            replies: vec![Reply {
                when: Match::equals("/type", "ping"),
                request: RequestSpec::new("POST", "", Some("3")).header(text.0, text.1),
            }],
            restart_when: vec![
                Match::status(400, "/code", Some("1")),
                Match::equals("/type", "close"),
                Match::equals("/type", "disconnect"),
            ],
            fail_when: vec![Match::equals("/type", "connect_error")],
            ..SessionSpec::default()
        },
        ..Profile::default()
    }
}

/// SockJS xhr-polling: the client picks a server id (3 digits) and a session id for
/// each session; `POST /PREFIX/{server}/{session}/xhr` opens it (`o`), then each poll
/// answers one frame: `h` heartbeat, `a[…]` messages (events), `c[code,reason]` close.
/// A close, or an `o` mid-session (the server forgot the session and opened a new
/// one), starts a new session.
pub(super) fn sockjs(endpoint: &str) -> Profile {
    let base = endpoint.trim_end_matches('/');
    Profile {
        url: format!("{base}/{{{{server}}}}/{{{{session}}}}/xhr"),
        method: "POST".to_owned(),
        // The server answers at its heartbeat (25 s by default) when nothing happens.
        hold_param: HoldParam::None,
        hold_s: 25,
        decoder: Decoder::SockJs,
        variables: vec![
            Variable::fresh("server", Fresh::Digits { len: 3 }),
            Variable {
                secret: true,
                ..Variable::fresh("session", Fresh::Alnum { len: 12 })
            },
        ],
        session: SessionSpec {
            bootstrap: vec![Step {
                fail_when: vec![Match::equals("/type", "close")],
                ..step("open", RequestSpec::new("POST", "", None), Decoder::SockJs)
            }],
            restart_when: vec![
                Match::equals("/type", "close"),
                Match::equals("/type", "open"),
            ],
            ..SessionSpec::default()
        },
        ..Profile::default()
    }
}

/// Bayeux 1.0 long-polling (Faye, CometD): handshake for a clientId, subscribe to
/// `{{channel}}`, then `/meta/connect` in a loop. Every message on a `/meta/` channel
/// is a control message; the others are events. `advice.reconnect: handshake` (an
/// unknown or expired clientId) starts over; `successful: false` otherwise is a
/// failure; `advice.interval` is waited before the next connect.
pub(super) fn bayeux(endpoint: &str) -> Profile {
    let json = ("Content-Type", "application/json");
    let post = |body: &str| RequestSpec::new("POST", "", Some(body)).header(json.0, json.1);
    let failed = Match::equals("/0/successful", "false");
    Profile {
        url: endpoint.to_owned(),
        method: "POST".to_owned(),
        headers: vec![crate::header::HeaderSpec::new(json.0, json.1)],
        body: Some(
            r#"[{"channel":"/meta/connect","clientId":{{clientId|json}},"connectionType":"long-polling"}]"#
                .to_owned(),
        ),
        // The server holds a connect for its advised timeout (Faye 45 s, CometD 30 s).
        hold_param: HoldParam::None,
        hold_s: 45,
        events_pointer: Some("/*".to_owned()),
        variables: vec![Variable::new("channel", "/updates")],
        session: SessionSpec {
            bootstrap: vec![
                Step {
                    extract: vec![Extract::pointer("clientId", "/0/clientId", true)],
                    fail_when: vec![failed.clone()],
                    ..step(
                        "handshake",
                        post(
                            r#"[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]"#,
                        ),
                        Decoder::Json,
                    )
                },
                Step {
                    fail_when: vec![failed],
                    ..step(
                        "subscribe",
                        post(
                            r#"[{"channel":"/meta/subscribe","clientId":{{clientId|json}},"subscription":{{channel|json}}}]"#,
                        ),
                        Decoder::Json,
                    )
                },
            ],
            control: vec![Match::prefix("/channel", "/meta/")],
            restart_when: vec![Match::equals("/advice/reconnect", "handshake")],
            fail_when: vec![Match::equals("/successful", "false")],
            delay_ms_pointer: Some("/advice/interval".to_owned()),
            ..SessionSpec::default()
        },
        ..Profile::default()
    }
}

/// ASP.NET Core SignalR, long polling with the JSON hub protocol: negotiate (version 1)
/// for a connection token, send the handshake record, then `GET ?id=TOKEN`: records
/// ended by 0x1e, invocations are events. The server's pings are answered with a ping
/// (it closes connections that send nothing for 30 s). `404` (unknown connection),
/// `204` (terminated) or a close record end the session; the poller negotiates again.
pub(super) fn signalr(endpoint: &str) -> Profile {
    let hub = endpoint.split(['?', '#']).next().unwrap_or(endpoint);
    let last = hub.rsplit('/').next().unwrap_or("");
    // Relative to the poll URL (`…/HUB?id=…`): `HUB/negotiate` stays under the hub.
    let negotiate = if last.is_empty() {
        "negotiate?negotiateVersion=1".to_owned()
    } else {
        format!("{last}/negotiate?negotiateVersion=1")
    };
    let text = ("Content-Type", "text/plain;charset=UTF-8");
    Profile {
        url: with_query(hub, "id={{id}}"),
        // The server answers an empty poll after 90 s (LongPolling.PollTimeout).
        hold_param: HoldParam::None,
        hold_s: 90,
        decoder: Decoder::SignalR,
        session: SessionSpec {
            bootstrap: vec![
                Step {
                    extract: vec![Extract::pointer("id", "/connectionToken", true)],
                    fail_when: vec![Match {
                        pointer: "/error".to_owned(),
                        ..Match::default()
                    }],
                    ..step(
                        "negotiate",
                        RequestSpec::new("POST", &negotiate, None),
                        Decoder::Json,
                    )
                },
                step(
                    "handshake",
                    RequestSpec::new("POST", "", Some(r#"{"protocol":"json","version":1}{{rs}}"#))
                        .header(text.0, text.1),
                    Decoder::Json,
                ),
            ],
            replies: vec![Reply {
                when: Match::equals("/type", "6"),
                request: RequestSpec::new("POST", "", Some(r#"{"type":6}{{rs}}"#))
                    .header(text.0, text.1),
            }],
            restart_when: vec![
                Match::status(404, "", None),
                Match::status(204, "", None),
                Match::equals("/type", "7"),
            ],
            fail_when: vec![Match {
                pointer: "/error".to_owned(),
                ..Match::default()
            }],
            ..SessionSpec::default()
        },
        ..Profile::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cursor::Cursor;
    use crate::protocol::Vars;

    #[test]
    fn session_presets_validate_and_build_their_urls() {
        for (id, endpoint, want) in [
            (
                "socketio",
                "http://127.0.0.1:3000/socket.io/",
                "http://127.0.0.1:3000/socket.io/?EIO=4&transport=polling&sid=S1",
            ),
            (
                "sockjs",
                "http://127.0.0.1:3000/echo/",
                "http://127.0.0.1:3000/echo/123/S1/xhr",
            ),
            (
                "bayeux",
                "http://127.0.0.1:3000/faye",
                "http://127.0.0.1:3000/faye",
            ),
            (
                "signalr",
                "http://127.0.0.1:5000/chat",
                "http://127.0.0.1:5000/chat?id=S1",
            ),
        ] {
            let p = crate::presets::by_id(id).unwrap().profile(endpoint);
            assert_eq!(p.validate(), Vec::new(), "{id}");
            let mut vars = Vars::new(&p.variables, 0);
            for name in ["sid", "session", "id", "clientId"] {
                vars.set(name, "S1", true);
            }
            vars.set("server", "123", false);
            let url = p
                .poll_url_with(&Cursor::default(), |n| vars.lookup(n))
                .unwrap();
            assert_eq!(url.as_str(), want, "{id}");
        }
    }

    #[test]
    fn query_and_negotiate_urls() {
        assert_eq!(with_query("http://h/a", "x=1"), "http://h/a?x=1");
        assert_eq!(with_query("http://h/a?b=2", "x=1"), "http://h/a?b=2&x=1");
        assert_eq!(with_query("http://h/a?", "x=1"), "http://h/a?x=1");
        let p = signalr("http://h/hubs/chat");
        assert_eq!(
            p.session.bootstrap[0].request.url,
            "chat/negotiate?negotiateVersion=1"
        );
        let p = signalr("http://h/hubs/chat/");
        assert_eq!(
            p.session.bootstrap[0].request.url,
            "negotiate?negotiateVersion=1"
        );
    }
}
