//! Frame CPU time of the real window with 1,000,000 points in every chart series
//! (issue 6, case 6; run by `bench/run.py`, or `cargo bench --bench ui_frame`).
//!
//! The real [`PollscopeApp`] on an `egui::Context` with no window: each frame is what
//! eframe does before it hands triangles to the GPU — `App::logic`, `App::ui` (layout
//! of every panel, the charts' decimation cache, `egui_plot`) and `Context::tessellate`.
//! The selected profile's monitor holds a replayed run of `--points` seconds: one
//! answer with an event (and its latency) and one empty answer per second, so every
//! chart series (hold with events, hold empty, events/s, errors/s, latency p50/p99,
//! connections, reuse, wire) has `--points` points. The charts show "all".
//!
//! Figures, per frame: the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) and the wall
//! time. Phases: the very first frame (fonts, first layout, the first decimation of the
//! whole history); the first frame after switching the charts to "all" with everything
//! else warm (the full decimation alone); frames with nothing new (the cached series);
//! and frames while `--per-frame` new answers arrive before each one (1,000 events/s
//! drawn 20 times a second: the incremental path).
//!
//! Then, on a second app, a builtin-demo profile with `--connect-pollers` pollers
//! (1,000) is connected the way a user does it (Ctrl+Enter in a frame's input) and
//! frames are drawn at 60 Hz until it is connected and 2 s beyond: the frame with the
//! key press, the longest frame, and how many frames took over 16 ms (wall and CPU),
//! and how long until the profile was live. `--connect-pollers 0` skips this phase.
//! The last line is one JSON object.
//!
//! usage: `ui_frame` [--points N] [--frames N] [--per-frame N] [--ppp F] [--connect-pollers N]

use std::time::{Duration, Instant};

use egui::{Pos2, RawInput, Rect, Vec2};
use pollscope::monitor::Monitor;
use pollscope::poll::{ConnectionUse, Payload, PollEvent, PollResponse, ReceivedEvent};
use pollscope::profile::Profile;
use pollscope::profile_store::ProfileStore;
use pollscope::stats::StatsConfig;
use pollscope::ui::{AppSetup, ChartCache, ChartWindow, EntryId, PollscopeApp, Series};
use rustix::time::{ClockId, clock_gettime};

struct Args {
    points: u64,
    frames: usize,
    per_frame: u64,
    ppp: f32,
    connect_pollers: u32,
}

fn parse_args() -> Args {
    let mut args = Args {
        points: 1_000_000,
        frames: 100,
        per_frame: 50,
        ppp: 1.0,
        connect_pollers: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match a.as_str() {
            "--points" => args.points = value().parse().unwrap_or(args.points),
            "--frames" => args.frames = value().parse().unwrap_or(args.frames),
            "--per-frame" => args.per_frame = value().parse().unwrap_or(args.per_frame),
            "--ppp" => args.ppp = value().parse().unwrap_or(args.ppp),
            "--connect-pollers" => {
                args.connect_pollers = value().parse().unwrap_or(args.connect_pollers);
            }
            // `cargo bench` passes --bench; anything else is ignored too.
            _ => {}
        }
    }
    args
}

fn thread_cpu() -> Duration {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// One answer: with one JSON event (latency 1–3 ms) or empty.
fn answer(at: Instant, n: u64, with_event: bool) -> PollEvent {
    let hold = if with_event {
        Duration::from_millis(5 + n % 200)
    } else {
        Duration::from_secs(30)
    };
    let events = if with_event {
        vec![ReceivedEvent {
            payload: Payload::Json(serde_json::json!({"kind": "tick", "n": n, "value": 42.5})),
            seq: i64::try_from(n).ok(),
            #[expect(clippy::cast_precision_loss, reason = "a small number")]
            latency_ms: Some(1.0 + (n % 200) as f64 / 100.0),
        }]
    } else {
        Vec::new()
    };
    PollEvent::Response(Box::new(PollResponse {
        hold,
        connection: ConnectionUse {
            id: Some(1 + u64::from(!with_event)),
            reused: n > 0,
            requests: n + 1,
            age: Duration::from_secs(n),
        },
        body_bytes: 80,
        wire_in: 300,
        wire_out: 120,
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        events,
        cursor: n.to_string(),
        ..PollResponse::new(
            usize::from(!with_event),
            at.checked_sub(hold).unwrap_or(at),
            at,
        )
    }))
}

struct Frames {
    ctx: egui::Context,
    app: PollscopeApp,
    frame: eframe::Frame,
    started: Instant,
    size: Vec2,
    ppp: f32,
    /// Input for the next frame (a key press).
    events: Vec<egui::Event>,
}

/// Frames until the charts were complete.
#[derive(Clone, Copy)]
struct Fill {
    frames: usize,
    cpu: Duration,
    longest: Duration,
}

/// One frame's cost.
struct Cost {
    cpu: Duration,
    wall: Duration,
    vertices: usize,
}

impl Frames {
    /// The real app on a fresh config dir holding `profile` (no first-run demo, nothing
    /// restored), `prepare`d, drawn at `ppp`; the dir lives as long as the frames.
    fn on(
        profile: Profile,
        ppp: f32,
        prepare: impl FnOnce(&mut PollscopeApp),
    ) -> (tempfile::TempDir, Self) {
        let dir = tempfile::tempdir().expect("a temporary config dir");
        let mut store = ProfileStore::open(dir.path()).expect("open the store");
        store.profiles = vec![profile];
        store.save().expect("save the store");
        let mut setup = AppSetup::load_keeping_secrets_in_the_file(dir.path().to_path_buf());
        setup.first_run_demo = false;
        setup.restore = false;
        let ctx = egui::Context::default();
        ctx.set_pixels_per_point(ppp);
        let cc = eframe::CreationContext::_new_kittest(ctx.clone());
        let mut app = PollscopeApp::new(&cc, setup);
        prepare(&mut app);
        let frames = Self {
            ctx,
            app,
            frame: eframe::Frame::_new_kittest(),
            started: Instant::now(),
            size: Vec2::new(1280.0, 800.0) / ppp,
            ppp,
            events: Vec::new(),
        };
        (dir, frames)
    }

    fn run(&mut self) -> Cost {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, self.size)),
            time: Some(self.started.elapsed().as_secs_f64()),
            predicted_dt: 1.0 / 60.0,
            events: std::mem::take(&mut self.events),
            ..RawInput::default()
        };
        let wall = Instant::now();
        let cpu = thread_cpu();
        let app = &mut self.app;
        let frame = &mut self.frame;
        let out = self.ctx.run_ui(input, |ui| {
            eframe::App::logic(app, ui.ctx(), frame);
            eframe::App::ui(app, ui, frame);
        });
        let meshes = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        let cost = Cost {
            cpu: thread_cpu().saturating_sub(cpu),
            wall: wall.elapsed(),
            vertices: meshes
                .iter()
                .map(|m| match &m.primitive {
                    egui::epaint::Primitive::Mesh(mesh) => mesh.vertices.len(),
                    egui::epaint::Primitive::Callback(_) => 0,
                })
                .sum(),
        };
        std::hint::black_box(meshes);
        cost
    }

    /// Frames (from `first`, already run) until the charts show the whole history:
    /// how many, their CPU time in all, and the longest one.
    fn until_charts_complete(&mut self, first: &Cost) -> Fill {
        let mut fill = Fill {
            frames: 1,
            cpu: first.cpu,
            longest: first.cpu,
        };
        while !self.charts().is_some_and(ChartCache::is_complete) && fill.frames < 1000 {
            let c = self.run();
            fill.frames += 1;
            fill.cpu += c.cpu;
            fill.longest = fill.longest.max(c.cpu);
        }
        fill
    }

    /// The first profile's id.
    fn first(&self) -> EntryId {
        self.app.workspace().entries()[0].id
    }

    /// The first profile's chart series, once drawn.
    fn charts(&self) -> Option<&ChartCache> {
        self.app.view(self.first()).map(|v| &v.charts)
    }

    /// Frames at 60 Hz from now until the first profile is live and [`AFTER_CONNECT`]
    /// beyond (at most [`CONNECT_WAIT`]): their costs, and when it was live.
    fn until_live(&mut self) -> (Vec<Cost>, Option<Duration>) {
        let pressed = Instant::now();
        let mut costs = Vec::new();
        let mut live_after = None;
        let mut next = Instant::now();
        while pressed.elapsed() < CONNECT_WAIT {
            costs.push(self.run());
            let live = self.app.workspace().entries()[0].is_live();
            if std::env::var_os("UI_FRAME_TRACE").is_some() {
                let c = costs.last().expect("a frame");
                eprintln!(
                    "frame {:3}: cpu {:6.2} ms wall {:6.2} ms live {live}",
                    costs.len(),
                    ms(c.cpu),
                    ms(c.wall)
                );
            }
            if live && live_after.is_none() {
                live_after = Some(pressed.elapsed());
            }
            if live_after.is_some_and(|t| pressed.elapsed() >= t + AFTER_CONNECT) {
                break;
            }
            next += FRAME_PERIOD;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        (costs, live_after)
    }

    fn monitor(&mut self) -> &mut Monitor {
        let id = self.first();
        self.app
            .workspace_mut()
            .monitor_mut(id)
            .expect("the bench monitor")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and 95th percentile (nearest rank) in ms.
/// The `q` quantile (0 to 1) of `costs`, in milliseconds (0 for none).
fn quantile(costs: &[Duration], q: f64) -> f64 {
    let mut v: Vec<f64> = costs.iter().map(|d| ms(*d)).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn p50_p95(costs: &[Duration]) -> (f64, f64) {
    (quantile(costs, 0.5), quantile(costs, 0.95))
}

fn phase(name: &str, costs: &[Cost]) -> serde_json::Value {
    let cpu: Vec<Duration> = costs.iter().map(|c| c.cpu).collect();
    let wall: Vec<Duration> = costs.iter().map(|c| c.wall).collect();
    let (c50, c95) = p50_p95(&cpu);
    let (w50, w95) = p50_p95(&wall);
    let max = cpu.iter().max().copied().unwrap_or_default();
    let vertices = costs.last().map_or(0, |c| c.vertices);
    eprintln!(
        "{name:>10}: {} frames, CPU p50 {c50:.2} ms p95 {c95:.2} ms max {:.2} ms; wall p50 {w50:.2} ms p95 {w95:.2} ms; {vertices} vertices",
        costs.len(),
        ms(max),
    );
    serde_json::json!({
        "frames": costs.len(), "cpu_p50_ms": c50, "cpu_p95_ms": c95, "cpu_max_ms": ms(max),
        "wall_p50_ms": w50, "wall_p95_ms": w95, "vertices": vertices,
    })
}

/// Longest the connect phase waits for the profile to be live.
const CONNECT_WAIT: Duration = Duration::from_mins(1);
/// Frames drawn after the profile is live (its pollers' first answers arrive).
const AFTER_CONNECT: Duration = Duration::from_secs(2);
/// The frame period the phase draws at.
const FRAME_PERIOD: Duration = Duration::from_micros(16_667);
/// The frame budget at 60 Hz.
const BUDGET_MS: f64 = 16.0;

/// A fresh app with one builtin-demo profile of `pollers` pollers, connected with
/// Ctrl+Enter; frames at 60 Hz until it is live and [`AFTER_CONNECT`] beyond.
fn connect_phase(pollers: u32, ppp: f32) -> serde_json::Value {
    let mut profile = Profile::for_demo("Thousand", "http://127.0.0.1:9/events");
    profile.builtin_demo = true;
    profile.pollers = pollers;
    let (_dir, mut f) = Frames::on(profile, ppp, |_| {});
    for _ in 0..5 {
        f.run();
    }
    let ctrl = egui::Modifiers {
        ctrl: true,
        command: true,
        ..egui::Modifiers::default()
    };
    f.events = vec![egui::Event::Key {
        key: egui::Key::Enter,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: ctrl,
    }];
    let (costs, live_after) = f.until_live();
    let running = f.app.workspace().entries()[0]
        .monitor
        .as_ref()
        .and_then(|m| m.session())
        .map_or(0, pollscope::poll::Session::running_pollers);
    eframe::App::on_exit(&mut f.app, None);
    let blocking = blocking_start(pollers);
    let mut figures = connect_figures(pollers, &costs, live_after, running);
    eprintln!(
        "the same start on the calling thread (what a frame did before starts moved to \
         starter threads): CPU {:.1} ms, wall {:.1} ms",
        ms(blocking.cpu),
        ms(blocking.wall)
    );
    figures["blocking_start_cpu_ms"] = ms(blocking.cpu).into();
    figures["blocking_start_wall_ms"] = ms(blocking.wall).into();
    figures
}

/// The connect phase's figures, printed and as JSON: the key-press frame, the longest
/// and the p99 frame, how many frames went over budget, and when the profile was live.
fn connect_figures(
    pollers: u32,
    costs: &[Cost],
    live_after: Option<Duration>,
    running: usize,
) -> serde_json::Value {
    let press = costs
        .first()
        .map_or((0.0, 0.0), |c| (ms(c.cpu), ms(c.wall)));
    let over =
        |pick: fn(&Cost) -> Duration| costs.iter().filter(|c| ms(pick(c)) > BUDGET_MS).count();
    let max = |pick: fn(&Cost) -> Duration| costs.iter().map(|c| ms(pick(c))).fold(0.0, f64::max);
    let p99 =
        |pick: fn(&Cost) -> Duration| quantile(&costs.iter().map(pick).collect::<Vec<_>>(), 0.99);
    let summary = phase("connecting", costs);
    eprintln!(
        "connect {pollers} pollers: key-press frame CPU {:.1} ms, wall {:.1} ms; longest frame CPU {:.1} ms, \
         wall {:.1} ms; p99 CPU {:.1} ms, wall {:.1} ms; {} of {} frames over {BUDGET_MS} ms wall ({} by CPU); \
         live after {}; {running} pollers running",
        press.0,
        press.1,
        max(|c| c.cpu),
        max(|c| c.wall),
        p99(|c| c.cpu),
        p99(|c| c.wall),
        over(|c| c.wall),
        costs.len(),
        over(|c| c.cpu),
        live_after.map_or_else(|| "never".to_owned(), |t| format!("{:.0} ms", ms(t))),
    );
    serde_json::json!({
        "pollers": pollers, "frames": costs.len(),
        "press_frame_cpu_ms": press.0, "press_frame_wall_ms": press.1,
        "max_cpu_ms": max(|c| c.cpu), "max_wall_ms": max(|c| c.wall),
        "p99_cpu_ms": p99(|c| c.cpu), "p99_wall_ms": p99(|c| c.wall),
        "over_16ms_wall": over(|c| c.wall), "over_16ms_cpu": over(|c| c.cpu),
        "live_after_ms": live_after.map(ms), "running_pollers": running,
        "frames_summary": summary,
    })
}

/// The baseline, in the same run: what connecting a builtin-demo profile of `pollers`
/// pollers costs the thread that does it — the embedded demo server's start and
/// `Session::start` (the open-file check, a thread per poller) — as the UI thread did
/// in the key-press frame before starts moved to starter threads.
fn blocking_start(pollers: u32) -> Cost {
    let wall = Instant::now();
    let cpu = thread_cpu();
    let server =
        pollscope::demo_server::DemoServer::start(pollscope::demo_server::DemoServerConfig {
            rate_per_s: 5.0,
            ..pollscope::demo_server::DemoServerConfig::default()
        })
        .expect("the demo server starts");
    let mut profile = Profile::for_demo("Thousand", &server.events_url());
    profile.pollers = pollers;
    let monitor = Monitor::start(profile.clone(), profile, pollscope::poll::no_waker());
    let cost = Cost {
        cpu: thread_cpu().saturating_sub(cpu),
        wall: wall.elapsed(),
        vertices: 0,
    };
    assert!(monitor.is_live(), "{:?}", monitor.start_error());
    drop(monitor);
    server.stop();
    cost
}

/// A replayed run of `points` seconds that ends now, two answers a second, in a
/// detached monitor; and how long the replay took, in seconds.
fn replay(points: u64) -> (Monitor, f64) {
    let fill = Instant::now();
    let span = Duration::from_secs(points);
    let origin = Instant::now()
        .checked_sub(span)
        .expect("the monotonic clock reaches back far enough");
    let config = StatsConfig {
        history_seconds: usize::try_from(points).unwrap_or(usize::MAX),
        max_poll_points: usize::try_from(2 * points).unwrap_or(usize::MAX),
    };
    let source = Profile::for_demo("Bench", "http://127.0.0.1:9/events");
    let mut monitor = Monitor::detached_with(source, origin, config);
    for s in 0..points {
        let at = origin + Duration::from_secs(s) + Duration::from_millis(250);
        monitor.ingest(&answer(at, s, true));
        monitor.ingest(&answer(at + Duration::from_millis(500), s, false));
    }
    let fill_s = fill.elapsed().as_secs_f64();
    let stats = monitor.stats();
    eprintln!(
        "replayed {points} s: {} poll points, {} second buckets, feed {} items ({fill_s:.1} s)",
        stats.poll_points().len(),
        stats.seconds().len(),
        monitor.feed().len(),
    );
    (monitor, fill_s)
}

/// The cold start and the switch to "all": each first frame, and the frames until the
/// charts had decimated the whole history.
struct ChartFills {
    first: Cost,
    first_fill: Fill,
    switch: Cost,
    switch_fill: Fill,
    /// Points drawn per series after decimation.
    series_len: [usize; 4],
}

/// 1. The very first frame: everything cold; then the frames until the charts have
///    decimated the whole history (a long history is drawn over a few frames).
/// 2. Everything else warmed on a short window, then "all": the first decimation of
///    the whole history, alone.
fn chart_fills(f: &mut Frames) -> ChartFills {
    let first = f.run();
    let first_fill = f.until_charts_complete(&first);
    eprintln!(
        "first frame: CPU {:.1} ms, wall {:.1} ms; charts complete after {} frames, {:.1} ms CPU in all",
        ms(first.cpu),
        ms(first.wall),
        first_fill.frames,
        ms(first_fill.cpu)
    );
    let series_len = {
        let charts = f.charts().expect("the charts were drawn");
        [
            Series::HoldEvents,
            Series::HoldEmpty,
            Series::EventsPerS,
            Series::LatencyP99,
        ]
        .map(|s| charts.series(s).len())
    };
    eprintln!("drawn points per series after decimation: {series_len:?}");

    f.app.set_chart_window(ChartWindow::FiveMinutes);
    for _ in 0..10 {
        f.run();
    }
    f.app.set_chart_window(ChartWindow::All);
    let switch = f.run();
    let switch_fill = f.until_charts_complete(&switch);
    eprintln!(
        "first frame on \"all\" (warm otherwise): CPU {:.1} ms, wall {:.1} ms; complete after {} frames \
         ({:.1} ms CPU in all, the longest {:.1} ms)",
        ms(switch.cpu),
        ms(switch.wall),
        switch_fill.frames,
        ms(switch_fill.cpu),
        ms(switch_fill.longest)
    );
    ChartFills {
        first,
        first_fill,
        switch,
        switch_fill,
        series_len,
    }
}

fn main() {
    let args = parse_args();
    let (monitor, fill_s) = replay(args.points);
    let stats = monitor.stats();
    let points_per_series = stats.seconds().len().min(stats.poll_points().len() / 2);
    let profile = Profile::for_demo("Bench", "http://127.0.0.1:9/events");
    let (_dir, mut f) = Frames::on(profile, args.ppp, |app| {
        let id = app.workspace().entries()[0].id;
        app.workspace_mut().install(id, monitor);
        app.set_chart_window(ChartWindow::All);
    });

    // 1 and 2: the charts' first decimation, cold and warm.
    let fills = chart_fills(&mut f);
    for _ in 0..5 {
        f.run();
    }

    // 3. Nothing new arrives.
    let idle: Vec<Cost> = (0..args.frames).map(|_| f.run()).collect();

    // 4. New answers before each frame (as `App::logic` drains them).
    let mut n = args.points;
    let mut ingest = Duration::ZERO;
    let live: Vec<Cost> = (0..args.frames)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..args.per_frame {
                let at = Instant::now();
                f.monitor().ingest(&answer(at, n, true));
                n += 1;
            }
            ingest += t.elapsed();
            f.run()
        })
        .collect();

    let idle_j = phase("no new data", &idle);
    let live_j = phase("new data", &live);
    let connect_j =
        (args.connect_pollers > 0).then(|| connect_phase(args.connect_pollers, args.ppp));
    #[expect(clippy::cast_precision_loss, reason = "a small count")]
    let ingest_per_frame_ms = ms(ingest) / args.frames.max(1) as f64;
    let ChartFills {
        first,
        first_fill,
        switch,
        switch_fill,
        series_len,
    } = fills;
    let out = serde_json::json!({
        "points_per_series": points_per_series,
        "drawn_points": series_len,
        "fill_s": fill_s,
        "screen": [1280, 800], "pixels_per_point": f.ppp,
        "first_frame_cpu_ms": ms(first.cpu), "first_frame_wall_ms": ms(first.wall),
        "first_all_frame_cpu_ms": ms(switch.cpu), "first_all_frame_wall_ms": ms(switch.wall),
        "first_fill_frames": first_fill.frames, "first_fill_cpu_ms": ms(first_fill.cpu),
        "first_fill_longest_ms": ms(first_fill.longest),
        "all_fill_frames": switch_fill.frames, "all_fill_cpu_ms": ms(switch_fill.cpu),
        "all_fill_longest_ms": ms(switch_fill.longest),
        "idle": idle_j, "live": live_j,
        "per_frame_events": args.per_frame, "ingest_per_frame_ms": ingest_per_frame_ms,
        "connect": connect_j,
    });
    println!("{out}");
}
