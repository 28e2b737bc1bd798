"""Process plumbing for the benchmark suite: start children in their own process
groups, sample them through /proc, reap them with wait4 (for user+sys CPU including
their own children), and kill whatever is left on exit.

Linux only (/proc). No third-party modules.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    """A progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Registry:
    """Every child the suite starts; `kill_all` ends the ones still running."""

    def __init__(self, pid_file=None):
        self.children = []
        self.pid_file = pid_file

    def add(self, child):
        self.children.append(child)
        if self.pid_file:
            with open(self.pid_file, "a", encoding="utf-8") as f:
                f.write(f"{child.pid}\n")

    def kill_all(self):
        for child in self.children:
            child.kill()


REGISTRY = Registry()


class Child:
    """A started command: sample it while it runs, then `wait` for its rusage."""

    def __init__(self, cmd, env=None, cwd=None, preexec_fn=None, stdout_path=None, stderr_path=None):
        self.cmd = cmd
        # Output goes to files (a pipe nobody reads could block the child); the ones made
        # here are removed once read.
        self._temp = []
        if stdout_path is None:
            stdout_path = self._tempfile("bench-out-")
        if stderr_path is None:
            stderr_path = self._tempfile("bench-err-")
        self.stdout_path, self.stderr_path = stdout_path, stderr_path
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
            env=full_env,
            cwd=cwd,
            start_new_session=True,  # own process group: killing it gets its children too
            preexec_fn=preexec_fn,
        )
        self.pid = self.proc.pid
        self.reaped = False
        self.result = None
        self.peak = {"VmHWM_kib": 0, "VmRSS_kib": 0, "Threads": 0}
        REGISTRY.add(self)

    def _tempfile(self, prefix):
        fd, path = tempfile.mkstemp(prefix=prefix)
        os.close(fd)
        self._temp.append(path)
        return path

    # --- /proc --------------------------------------------------------------------------
    def status(self):
        """VmRSS, VmHWM (KiB) and Threads now, or None once the process has ended."""
        try:
            with open(f"/proc/{self.pid}/status", encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return None
        out = {}
        for key in ("VmRSS", "VmHWM", "Threads"):
            m = re.search(rf"^{key}:\s+(\d+)", text, re.M)
            if m:
                out[key if key == "Threads" else key + "_kib"] = int(m.group(1))
        return out

    def cpu_s(self):
        """user+sys seconds of the process so far (all its threads), or None."""
        try:
            with open(f"/proc/{self.pid}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # fields[0] is state (field 3); utime/stime are fields 14/15.
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def sample(self):
        s = self.status()
        if s:
            for key, value in s.items():
                self.peak[key] = max(self.peak.get(key, 0), value)
        return s

    # --- lifetime -------------------------------------------------------------------------
    def signal(self, sig):
        if not self.reaped:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def poll(self):
        """Reap if ended; True when ended."""
        if self.reaped:
            return True
        pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self._reaped(status, rusage)
        return True

    def wait(self, timeout=None, sample_every=0.1):
        """Wait (sampling /proc) until the process ends; kill it after `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.poll():
            self.sample()
            if deadline is not None and time.monotonic() > deadline:
                self.kill()
                pid, status, rusage = os.wait4(self.pid, 0)
                self._reaped(status, rusage, timed_out=True)
                break
            time.sleep(sample_every)
        return self.result

    def _reaped(self, status, rusage, timed_out=False):
        self.reaped = True
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self._out.close()
        self._err.close()
        with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
            stdout = f.read()
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            stderr = f.read()
        for path in self._temp:
            os.unlink(path)
        self.result = {
            "rc": self.proc.returncode,
            "timed_out": timed_out,
            "wall_s": time.monotonic() - self.started,
            # wait4 counts the process and every descendant it waited for (curl loops).
            "cpu_user_s": rusage.ru_utime,
            "cpu_sys_s": rusage.ru_stime,
            "cpu_s": rusage.ru_utime + rusage.ru_stime,
            "ru_maxrss_kib": rusage.ru_maxrss,
            "peak": dict(self.peak),
            "stdout": stdout,
            "stderr": stderr,
        }

    def kill(self):
        """SIGKILL the whole process group (the child and anything it started)."""
        if self.reaped:
            return
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def last_json_line(text):
    """The last line of `text` that parses as a JSON object, or None."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


class DemoServer:
    """`pollscope demo-server` in its own process, and a keep-alive connection to its
    /stats and /publish (so the suite's own requests add no accepted connections)."""

    def __init__(self, binary, args, log_path):
        self.child = Child([binary, "demo-server", "--addr", "127.0.0.1:0", *args], stderr_path=log_path)
        self.url = self._wait_for_url(log_path)
        m = re.match(r"(https?)://([^/:]+):(\d+)(/.*)?", self.url)
        self.scheme, self.host, self.port = m.group(1), m.group(2), int(m.group(3))
        self.base = f"{self.scheme}://{self.host}:{self.port}"
        self._conn = None

    def _wait_for_url(self, log_path, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"listening on (\S+)", f.read())
            if m:
                return m.group(1)
            if self.child.poll():
                raise RuntimeError(f"demo server exited: {self.child.result['stderr'].strip()}")
            time.sleep(0.02)
        raise RuntimeError("demo server did not report its address")

    def _request(self, method, path, body=None):
        for attempt in range(3):
            try:
                if self._conn is None:
                    if self.scheme == "https":
                        import ssl

                        ctx = ssl._create_unverified_context()  # test certificate on loopback
                        self._conn = http.client.HTTPSConnection(self.host, self.port, timeout=10, context=ctx)
                    else:
                        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
                headers = {"Content-Type": "application/json"} if body is not None else {}
                self._conn.request(method, path, body=body, headers=headers)
                res = self._conn.getresponse()
                data = res.read()
                return json.loads(data)
            except (OSError, http.client.HTTPException):
                self._conn = None
                if attempt == 2:
                    raise
                time.sleep(0.05)
        return None

    def stats(self):
        return self._request("GET", "/stats")

    def publish(self, data):
        return self._request("POST", "/publish", json.dumps(data))

    def stop(self):
        if self._conn is not None:
            self._conn.close()
        self.child.signal(signal.SIGTERM)
        self.child.wait(timeout=5)
