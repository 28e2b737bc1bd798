//! Real third-party servers for interop tests: nginx with the Nchan module, etcd with
//! its v2 API, PouchDB Server (CouchDB's HTTP API, from npm), and the squid forward
//! proxy, started on loopback in temporary directories and stopped when dropped.
//!
//! When a server is not installed the tests skip with a message saying how to install
//! it, unless `POLLSCOPE_REQUIRE_SERVERS=1` (set by `.ci/run`), which turns "not
//! installed" into a failure.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";
const NCHAN_MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";
const INSTALL_HINT: &str = "install with scripts/install-interop-servers.sh (Debian packages \
     nginx-light libnginx-mod-nchan etcd-server squid pushpin nodejs npm, then `npm ci` in \
     each folder of tests/servers that has a package-lock.json)";
/// PouchDB Server's folder (script, package.json and lock file; `npm ci` fills `node_modules`).
const POUCHDB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/servers/pouchdb");

/// Whether a missing server fails the test instead of skipping it.
pub fn required() -> bool {
    std::env::var("POLLSCOPE_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

/// Skip (None) or fail when `what` is missing.
pub fn missing<T>(what: &str) -> Option<T> {
    assert!(
        !required(),
        "{what} is not installed but POLLSCOPE_REQUIRE_SERVERS=1; {INSTALL_HINT}"
    );
    eprintln!("SKIPPED: {what} is not installed; {INSTALL_HINT}");
    None
}

/// A loopback port nothing listens on, for a server we are about to start.
///
/// Not the kernel's `bind(0)`: that hands out ports from the ephemeral range, where
/// (a) two tests running in parallel can be given the same just-released port, the
/// second server then fails to bind while its readiness probe reaches the first one's
/// (seen in CI: "create database: Connection refused" once the other test stopped it),
/// and (b) any outgoing connection may take the port as its source port before the
/// server binds. So ports come from below the ephemeral range, each one handed out at
/// most once per test process, starting at a pid-dependent offset so test processes
/// running at the same time on the machine rarely meet, and checked free by binding.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 20_000;
    let high = ephemeral_low().clamp(LOW + 1_000, 65_535);
    let span = high - LOW;
    let offset = std::process::id().wrapping_mul(2_654_435_761) % span;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(LOW + (offset + n) % span).expect("below 65536");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {LOW} and {high}");
}

/// The low end of the kernel's ephemeral port range (Linux's default when unknown).
fn ephemeral_low() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

pub fn wait_for_port(port: u16, child: &mut Child, log: &Path) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let listening = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok();
        // Exited (a port taken after all, a bad config): say so with its log, even if
        // something else answered on the port.
        if let Ok(Some(status)) = child.try_wait() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!("server exited with {status} before listening:\n{text}");
        }
        if listening {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    panic!("server did not listen on {port} within 20 s:\n{text}");
}

/// Start `command` with its output (stdout and stderr) in `log`, and wait until it
/// listens on `port` (shown the log if it never does).
pub fn start_logged(command: &mut Command, log: &Path, port: u16) -> Proc {
    let out = std::fs::File::create(log).expect("server log");
    let err = out.try_clone().expect("server log");
    let child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", command.get_program().display()));
    let mut proc = Proc(child);
    wait_for_port(port, &mut proc.0, log);
    proc
}

/// A scratch directory, in memory where possible (etcd fsyncs every write).
pub fn scratch(prefix: &str) -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new().prefix(prefix).tempdir_in(shm);
    builder.unwrap_or_else(|_| {
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("tempdir")
    })
}

/// A running process, killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        // Already gone is fine: we only want it gone.
        if self.0.kill().is_ok() {
            let _reaped = self.0.wait();
        }
    }
}

/// nginx + Nchan on a free loopback port.
pub struct Nchan {
    _proc: Proc,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Nchan {
    /// Start nginx with Nchan, or skip when not installed.
    pub fn start() -> Option<Self> {
        if !Path::new(NGINX).exists() || !Path::new(NCHAN_MODULE).exists() {
            return missing("nginx with the Nchan module");
        }
        let dir = scratch("pollscope-nchan-");
        let port = free_port();
        let d = dir.path().display();
        let conf = format!(
            r"load_module {NCHAN_MODULE};
daemon off;
master_process off;
worker_processes 1;
error_log {d}/error.log warn;
pid {d}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location = /pub {{ nchan_publisher; nchan_channel_id $arg_id; nchan_message_buffer_length 5000; }}
    location = /sub {{ nchan_subscriber longpoll; nchan_channel_id $arg_id; }}
    location = /sub-timeout {{ nchan_subscriber longpoll; nchan_channel_id $arg_id; nchan_subscriber_timeout 1s; }}
    location = /status {{ nchan_stub_status; }}
  }}
}}
"
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let log = dir.path().join("error.log");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut proc = Proc(child);
        wait_for_port(port, &mut proc.0, &log);
        Some(Self {
            _proc: proc,
            _dir: dir,
            port,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Publish `body` to channel `id`.
    pub fn publish(&self, agent: &ureq::Agent, id: &str, body: &str) {
        let r = agent
            .post(self.url(&format!("/pub?id={id}")))
            .content_type("application/json")
            .send(body)
            .expect("publish to nchan");
        assert!(r.status().is_success(), "publish: {}", r.status());
    }

    /// Subscribers currently waiting (from `nchan_stub_status`).
    pub fn subscribers(&self, agent: &ureq::Agent) -> u64 {
        let text = agent
            .get(self.url("/status"))
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
            .unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix("subscribers: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// etcd with the v2 API on free loopback ports.
pub struct Etcd {
    _proc: Proc,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Etcd {
    /// Start etcd, or skip when not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = which("etcd") else {
            return missing("etcd (etcd-server)");
        };
        let dir = scratch("pollscope-etcd-");
        let port = free_port();
        let peer = free_port();
        let client = format!("http://127.0.0.1:{port}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut command = Command::new(bin);
        command
            .arg("--name=pollscope-test")
            .arg(format!("--data-dir={}", dir.path().join("data").display()))
            .arg("--enable-v2=true")
            .arg(format!("--listen-client-urls={client}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=pollscope-test={peer_url}"));
        let proc = start_logged(&mut command, &dir.path().join("etcd.log"), port);
        let etcd = Self {
            _proc: proc,
            _dir: dir,
            port,
        };
        // Listening is not serving: wait until a write goes through.
        let agent = agent();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = agent
                .put(etcd.url("/v2/keys/pollscope-ready"))
                .content_type("application/x-www-form-urlencoded")
                .send("value=1")
                .is_ok_and(|r| r.status().is_success());
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "etcd never became ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(etcd)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Set `key` to `value`; returns the new modifiedIndex.
    pub fn put(&self, agent: &ureq::Agent, key: &str, value: &str) -> u64 {
        let mut r = agent
            .put(self.url(&format!("/v2/keys/{key}")))
            .content_type("application/x-www-form-urlencoded")
            .send(format!("value={value}"))
            .expect("etcd put");
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().expect("body")).expect("etcd JSON");
        v["node"]["modifiedIndex"].as_u64().expect("modifiedIndex")
    }

    /// Watchers currently waiting (from `/v2/stats/store`).
    pub fn watchers(&self, agent: &ureq::Agent) -> u64 {
        agent
            .get(self.url("/v2/stats/store"))
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["watchers"].as_u64())
            .unwrap_or(0)
    }
}

/// PouchDB Server (express-pouchdb over in-memory databases) on a free loopback port: the
/// CouchDB HTTP API, `_changes?feed=longpoll` included.
pub struct PouchDb {
    _proc: Proc,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl PouchDb {
    /// Start it and create database `db`, or skip when Node.js or its packages are missing.
    pub fn start(db: &str) -> Option<Self> {
        let Some(node) = which("node") else {
            return missing("Node.js (for PouchDB Server)");
        };
        let dir = Path::new(POUCHDB_DIR);
        if !dir.join("node_modules/express-pouchdb").is_dir() {
            return missing("PouchDB Server (tests/servers/pouchdb/node_modules)");
        }
        let scratch = scratch("pollscope-pouchdb-");
        let port = free_port();
        let mut command = Command::new(node);
        command
            .arg(dir.join("server.js"))
            .arg(port.to_string())
            // Anything it might write lands in the scratch folder, not the repository.
            .current_dir(scratch.path());
        let proc = start_logged(&mut command, &scratch.path().join("pouchdb.log"), port);
        let server = Self {
            _proc: proc,
            _dir: scratch,
            port,
        };
        let status = agent()
            .put(server.url(&format!("/{db}")))
            .send_empty()
            .expect("create database")
            .status();
        assert!(status.is_success(), "creating database {db}: HTTP {status}");
        Some(server)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Create document `id` in `db` with `body` (a JSON object).
    pub fn put(&self, agent: &ureq::Agent, db: &str, id: &str, body: &str) {
        let status = agent
            .put(self.url(&format!("/{db}/{id}")))
            .content_type("application/json")
            .send(body)
            .expect("PouchDB put")
            .status();
        assert!(status.is_success(), "PUT /{db}/{id}: HTTP {status}");
    }
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// A plain agent for publishing (direct, whatever proxy the environment names).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

const SQUID: &str = "/usr/sbin/squid";
const SQUID_BASIC_AUTH: &str = "/usr/lib/squid/basic_ncsa_auth";
/// The user a squid started with `auth` accepts, and the password.
pub const SQUID_USER: &str = "alice";
pub const SQUID_PASSWORD: &str = "squid-pw-7";
/// `openssl passwd -apr1 -salt pollscop squid-pw-7`: the password file's entry.
const SQUID_PASSWORD_HASH: &str = "$apr1$pollscop$5C6K5uG1njQJ4Bcg2tFTe/";

/// The squid forward proxy on a free loopback port, configured like a company proxy:
/// plain HTTP to any port, `CONNECT` only to port 443 and the ports named at start, and
/// optionally Basic authentication. Its access log names each request's client port,
/// so the connections it accepted can be counted.
pub struct Squid {
    proc: Proc,
    dir: tempfile::TempDir,
    pub port: u16,
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquidRequest {
    /// The client's port: one per TCP connection to the proxy.
    pub client_port: u16,
    /// Squid's result code and status, e.g. `TCP_MISS/200`, `TCP_TUNNEL/200`.
    pub result: String,
    pub method: String,
    pub url: String,
    /// The authenticated user, `-` when none.
    pub user: String,
}

impl Drop for Squid {
    fn drop(&mut self) {
        // Stopped first (the process field would be dropped after this), then its files.
        if self.proc.0.kill().is_ok() {
            let _reaped = self.proc.0.wait();
        }
        self.remove_shared_memory();
    }
}

impl Squid {
    /// Start squid allowing `CONNECT` to `tls_ports`, requiring a user name and password
    /// when `auth`; or skip when squid is not installed.
    pub fn start(tls_ports: &[u16], auth: bool) -> Option<Self> {
        if !Path::new(SQUID).exists() {
            return missing("squid");
        }
        let dir = scratch("pollscope-squid-");
        // Started as root, squid works as the `proxy` user: it must write its logs here.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .expect("open the squid folder");
        let port = free_port();
        let d = dir.path().display();
        let ports: Vec<String> = tls_ports.iter().map(u16::to_string).collect();
        let access = if auth {
            std::fs::write(
                dir.path().join("passwd"),
                format!("{SQUID_USER}:{SQUID_PASSWORD_HASH}\n"),
            )
            .expect("write the password file");
            format!(
                "auth_param basic program {SQUID_BASIC_AUTH} {d}/passwd\n\
                 auth_param basic children 4 startup=2 idle=1\n\
                 auth_param basic realm pollscope-test\n\
                 acl users proxy_auth REQUIRED\n\
                 http_access deny CONNECT !SSL_ports\n\
                 http_access allow localhost users\n"
            )
        } else {
            "http_access deny CONNECT !SSL_ports\nhttp_access allow localhost\n".to_owned()
        };
        let conf = format!(
            "http_port 127.0.0.1:{port}\n\
             visible_hostname pollscope-test\n\
             pid_filename {d}/squid.pid\n\
             cache deny all\n\
             cache_mem 1 MB\n\
             logformat pollscope %ts.%03tu %>a:%>p %Ss/%03>Hs %rm %ru %un\n\
             access_log stdio:{d}/access.log pollscope\n\
             cache_log {d}/cache.log\n\
             cache_store_log none\n\
             coredump_dir {d}\n\
             pinger_enable off\n\
             shutdown_lifetime 0 seconds\n\
             acl SSL_ports port 443 {ports}\n\
             acl CONNECT method CONNECT\n\
             {access}\
             http_access deny all\n",
            ports = ports.join(" "),
        );
        let conf_path = dir.path().join("squid.conf");
        std::fs::write(&conf_path, conf).expect("write squid.conf");
        let mut command = Command::new(SQUID);
        command
            .arg("-N")
            .arg("-f")
            .arg(&conf_path)
            .arg("-n")
            .arg(format!("pollscope{port}"));
        let proc = start_logged(&mut command, &dir.path().join("squid.out"), port);
        Some(Self { proc, dir, port })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The shared-memory segments squid `-n pollscopePORT` made, which a killed squid
    /// leaves behind in /dev/shm (a thousand files after a day of test runs).
    fn remove_shared_memory(&self) {
        let prefix = format!("pollscope{}-", self.port);
        let Ok(entries) = std::fs::read_dir("/dev/shm") else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _gone = std::fs::remove_file(e.path()).is_ok();
            }
        }
    }

    /// `squid -v`'s first line.
    pub fn version() -> String {
        Command::new(SQUID)
            .arg("-v")
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .unwrap_or_default()
    }

    /// The requests logged so far that `keep` selects (squid writes a line when a
    /// request ends; a tunnel's when it closes).
    pub fn requests(&self, keep: impl Fn(&SquidRequest) -> bool) -> Vec<SquidRequest> {
        let text = std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                let [_, client, result, method, url, user] = f.as_slice() else {
                    return None;
                };
                Some(SquidRequest {
                    client_port: client.rsplit(':').next()?.parse().ok()?,
                    result: (*result).to_owned(),
                    method: (*method).to_owned(),
                    url: (*url).to_owned(),
                    user: (*user).to_owned(),
                })
            })
            .filter(|r| keep(r))
            .collect()
    }

    /// Wait (up to 10 s) until `enough` holds for the requests `keep` selects; returns
    /// them either way.
    pub fn wait_for_requests(
        &self,
        keep: impl Fn(&SquidRequest) -> bool,
        enough: impl Fn(&[SquidRequest]) -> bool,
    ) -> Vec<SquidRequest> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.requests(&keep);
            if enough(&found) || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
