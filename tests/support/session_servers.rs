//! Real session-protocol long-poll servers for `tests/sessions_interop.rs`: Socket.IO 4,
//! SockJS and Faye (Bayeux) from npm, and Pushpin (Debian) in front of a small GRIP
//! origin. Each runs on free loopback ports in a scratch directory, is stopped when
//! dropped, and can be restarted on the same port (which ends every session it held).
//!
//! Every Node.js server has the same test endpoints beside its protocol: `POST /publish`
//! (a JSON object to every client), `GET /clients` (how many are connected or
//! subscribed) and `POST /kill` (the server ends every session). See the scripts under
//! `tests/servers/`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::servers::{Proc, free_port, missing, scratch, start_logged, wait_for_port, which};

/// `tests/servers/` in the repository.
const SERVERS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servers");

/// One of the Node.js servers under `tests/servers/NAME/`.
pub struct NodeServer {
    what: &'static str,
    script: PathBuf,
    args: Vec<String>,
    proc: Option<Proc>,
    dir: tempfile::TempDir,
    pub port: u16,
    restarts: u32,
}

impl NodeServer {
    /// Start `tests/servers/{folder}/{script} PORT args…`, or skip when Node.js or the
    /// npm packages (`module`, in the folder's `node_modules`) are missing.
    fn start(
        what: &'static str,
        folder: &str,
        script: &str,
        module: Option<&str>,
        args: &[String],
    ) -> Option<Self> {
        if which("node").is_none() {
            return missing("Node.js");
        }
        let dir = Path::new(SERVERS_DIR).join(folder);
        if let Some(module) = module
            && !dir.join("node_modules").join(module).is_dir()
        {
            return missing(what);
        }
        let mut server = Self {
            what,
            script: dir.join(script),
            args: args.to_vec(),
            proc: None,
            dir: scratch(&format!("pollscope-{folder}-")),
            port: free_port(),
            restarts: 0,
        };
        server.launch();
        Some(server)
    }

    fn launch(&mut self) {
        let node = which("node").expect("node");
        let mut command = Command::new(node);
        command
            .arg(&self.script)
            .arg(self.port.to_string())
            .args(&self.args)
            .current_dir(self.dir.path());
        let log = self
            .dir
            .path()
            .join(format!("server-{}.log", self.restarts));
        self.proc = Some(start_logged(&mut command, &log, self.port));
    }

    /// Kill the process and start it again on the same port: every session it held is
    /// gone, as after a crash or a deploy.
    pub fn restart(&mut self) {
        drop(self.proc.take());
        self.restarts += 1;
        self.launch();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `POST path` with `body`; panics unless it succeeds.
    pub fn post(&self, agent: &ureq::Agent, path: &str, body: &str) -> String {
        let mut r = agent
            .post(self.url(path))
            .content_type("application/json")
            .send(body)
            .unwrap_or_else(|e| panic!("{} POST {path}: {e}", self.what));
        let text = r.body_mut().read_to_string().unwrap_or_default();
        assert!(
            r.status().is_success(),
            "{} POST {path}: {} {text}",
            self.what,
            r.status()
        );
        text
    }

    /// `GET path` as a number (0 when the server cannot be asked).
    pub fn count(&self, agent: &ureq::Agent, path: &str) -> u64 {
        agent
            .get(self.url(path))
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        (0..=self.restarts)
            .map(|i| {
                std::fs::read_to_string(self.dir.path().join(format!("server-{i}.log")))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("--- restarted ---\n")
    }
}

/// Socket.IO 4 (npm `socket.io`), polling transport only, with the given ping timings.
pub fn socketio(ping_interval_ms: u32, ping_timeout_ms: u32) -> Option<NodeServer> {
    NodeServer::start(
        "Socket.IO (tests/servers/socketio/node_modules)",
        "socketio",
        "server.js",
        Some("socket.io"),
        &[ping_interval_ms.to_string(), ping_timeout_ms.to_string()],
    )
}

/// SockJS (npm `sockjs`) under `/sockjs`, with the given heartbeat and disconnect delay.
pub fn sockjs(heartbeat_ms: u32, disconnect_delay_ms: u32) -> Option<NodeServer> {
    NodeServer::start(
        "SockJS (tests/servers/sockjs/node_modules)",
        "sockjs",
        "server.js",
        Some("sockjs"),
        &[heartbeat_ms.to_string(), disconnect_delay_ms.to_string()],
    )
}

/// Faye (npm `faye`, Bayeux 1.0) at `/faye`, holding a connect up to `timeout_s`.
pub fn faye(timeout_s: u32) -> Option<NodeServer> {
    NodeServer::start(
        "Faye (tests/servers/faye/node_modules)",
        "faye",
        "server.js",
        Some("faye"),
        &[timeout_s.to_string()],
    )
}

/// Pushpin (Debian `pushpin`) in front of `tests/servers/pushpin/origin.js`.
pub struct Pushpin {
    proc: Option<Proc>,
    dir: tempfile::TempDir,
    conf: PathBuf,
    pub origin: NodeServer,
    /// Where clients poll (Pushpin's HTTP port).
    pub port: u16,
}

impl Pushpin {
    /// Start the origin and Pushpin (holds answered empty after `hold_s`), or skip when
    /// either is missing.
    pub fn start(hold_s: u32) -> Option<Self> {
        if which("pushpin").is_none() {
            return missing("Pushpin (Debian package pushpin)");
        }
        let publish_port = free_port();
        let origin = NodeServer::start(
            "Node.js (for the Pushpin origin)",
            "pushpin",
            "origin.js",
            None,
            &[publish_port.to_string(), hold_s.to_string()],
        )?;
        let dir = scratch("pollscope-pushpin-");
        let port = free_port();
        let d = dir.path().display();
        let conf = format!(
            "[global]\ninclude={{libdir}}/internal.conf\nrundir={d}/run\nipc_prefix=pushpin-\n\
             port_offset=0\nstats_connection_ttl=120\n\
             [runner]\nservices=condure,zurl,pushpin-proxy,pushpin-handler\n\
             http_port=127.0.0.1:{port}\nlogdir={d}/log\nlog_level=2\nclient_buffer_size=8192\n\
             client_maxconn=1000\ncondure_bin=condure\nzurl_bin=zurl\n\
             [proxy]\nroutesfile={d}/routes\nsig_key=pollscope-test\nupdates_check=off\n\
             zurl_out_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in\n\
             zurl_out_stream_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-in-stream\n\
             zurl_in_specs=ipc://{{rundir}}/{{ipc_prefix}}zurl-out\n\
             [handler]\npush_in_spec=tcp://127.0.0.1:{}\npush_in_sub_specs=tcp://127.0.0.1:{}\n\
             push_in_sub_connect=false\npush_in_http_addr=127.0.0.1\npush_in_http_port={publish_port}\n\
             command_spec=tcp://127.0.0.1:{}\nstats_spec=ipc://{{rundir}}/{{ipc_prefix}}stats\n",
            free_port(),
            free_port(),
            free_port(),
        );
        let conf_path = dir.path().join("pushpin.conf");
        std::fs::write(&conf_path, conf).expect("write pushpin.conf");
        std::fs::write(
            dir.path().join("routes"),
            format!("* 127.0.0.1:{}\n", origin.port),
        )
        .expect("write routes");
        for sub in ["run", "log"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("pushpin dirs");
        }
        let mut pushpin = Self {
            proc: None,
            dir,
            conf: conf_path,
            origin,
            port,
        };
        pushpin.launch();
        Some(pushpin)
    }

    fn launch(&mut self) {
        let log = self.dir.path().join("pushpin.log");
        let out = std::fs::File::create(&log).expect("pushpin log");
        let err = out.try_clone().expect("pushpin log");
        // Its own process group: Pushpin runs condure, zurl, a proxy and a handler, and
        // they must all go when the test ends.
        let child = Command::new("pushpin")
            .arg("--config")
            .arg(&self.conf)
            .arg("--merge-output")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start pushpin");
        let mut proc = Proc(child);
        wait_for_port(self.port, &mut proc.0, &log);
        self.proc = Some(proc);
        // Listening is not holding yet: wait until a (one-second) hold comes back.
        let agent = crate::servers::agent();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = agent
                .get(self.url("/ready"))
                .call()
                .and_then(|mut r| r.body_mut().read_to_string())
                .is_ok_and(|body| body == "ready");
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "Pushpin never held:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(proc) = self.proc.take() {
            let pid = proc.0.id();
            signal_group(pid, "-KILL");
            // Reaps the runner; its children are reparented and reaped by init.
            drop(proc);
            // The runner puts each service (condure, zurl, proxy, handler) in a process
            // group of its own, so the group kill misses them and they outlived the
            // tests. Each names this run's folder on its command line: kill those.
            let dir = self.dir.path().to_string_lossy().into_owned();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let left = pids_naming(&dir);
                for p in &left {
                    signal_pid(*p, "-KILL");
                }
                // `kill -0` fails once no process of the group is left: the ports are free.
                let group_left = signal_group(pid, "-0");
                if (left.is_empty() && !group_left) || Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Publish `body` (a JSON object) as the next message; returns its number.
    pub fn publish(&self, agent: &ureq::Agent, body: &str) -> u64 {
        let n = self.origin.post(agent, "/publish", body);
        n.trim().parse().expect("message number")
    }

    /// Pushpin's and the origin's logs (for failure messages).
    pub fn log(&self) -> String {
        let mut out = String::new();
        out.push_str(
            &std::fs::read_to_string(self.dir.path().join("pushpin.log")).unwrap_or_default(),
        );
        out.push_str("--- origin ---\n");
        out.push_str(&self.origin.log());
        out
    }
}

impl Drop for Pushpin {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `kill SIGNAL -- -pid`: to every process in the group led by `pid`; true when it
/// reached one.
/// The processes whose command line names `text` (Linux: from /proc; none elsewhere).
fn pids_naming(text: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(text))
        })
        .collect()
}

fn signal_pid(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([signal, &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn signal_group(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
