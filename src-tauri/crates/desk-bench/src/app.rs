//! Part 4: the app's start-up time and idle memory next to a bare Tauri window built the same way
//! (`bare-window/`: Tauri with the same features and profile, a one-line page), measured the
//! same way in the same run. Linux with an X server (`scripts/bench.sh` starts Xvfb).
//!
//! On Linux the app has WebKitGTK draw with the CPU rather than OpenGL (`startup.rs`), which is
//! most of its memory on a machine without a GPU, where OpenGL is Mesa's software renderer. So
//! the bare window is launched twice over: with `--software-rendering` (the same setting: the
//! like-for-like baseline the goals are checked against) and as Tauri leaves it.
//!
//! - Ready: the process's window is mapped (`xdotool search --onlyvisible --pid`) AND the page
//!   is painted: in a capture of the window (ImageMagick's `import`), at least
//!   [`PAINTED_PIXELS`] pixels of the part below the top eighth differ from the first pixel of
//!   that part. The top eighth is left out because GTK draws a native menu bar there (the app
//!   has one) as soon as the window maps, long before the page; below it, an unpainted webview
//!   is one flat colour. The bare window's one line is centred so that it falls in that part.
//!   The time is taken when the first such capture starts, so it is late by at most one capture
//!   (the table shows how long one takes). This needs nothing from the app; both are timed from
//!   just before `spawn`.
//! - Idle memory: after the window is ready and [`Args::settle`] has passed, the sum of the
//!   proportional set size (`Pss` in `/proc/<pid>/smaps_rollup`) of the process and all its
//!   descendants (WebKitWebProcess, WebKitNetworkProcess, ...). PSS shares each shared page
//!   among the processes using it, so the sum is the tree's real footprint.
//! - Each subject is launched once unmeasured (a warm disk cache for all), then `launches`
//!   times, in turn, each with fresh XDG data/config/cache/state folders; the median counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::report::{Summary, Table};

pub struct Args {
    pub app: Option<PathBuf>,
    pub bare: Option<PathBuf>,
    pub launches: usize,
    pub settle: Duration,
}

/// Goals from the issue.
const MAX_STARTUP_RATIO: f64 = 1.5;
const MAX_MEMORY_RATIO: f64 = 1.15;

/// A window counts as painted when at least this many pixels differ from its first pixel: more
/// than stray noise, far fewer than one short line of text.
const PAINTED_PIXELS: usize = 50;
/// Give up on a launch after this long.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

struct Launch {
    mapped: Duration,
    ready: Duration,
    /// Time one capture took (the resolution of `ready`).
    capture: Duration,
    /// PSS in KiB per process name, summed.
    pss: BTreeMap<String, u64>,
    /// Anonymous memory (heaps, JavaScript, caches) of the whole tree, in KiB.
    anon: u64,
}

impl Launch {
    fn pss_total(&self) -> u64 {
        self.pss.values().sum()
    }

    fn anon(&self) -> u64 {
        self.anon
    }
}

pub fn run(args: &Args, summary: &mut Summary) -> Result<(), String> {
    let app = args.app.as_deref().ok_or("--app PATH is required")?;
    let bare = args.bare.as_deref().ok_or("--bare PATH is required")?;
    for bin in [app, bare] {
        if !bin.is_file() {
            return Err(format!("{} does not exist: build it first", bin.display()));
        }
    }
    if std::env::var_os("DISPLAY").is_none() {
        return Err("no DISPLAY: run under an X server (scripts/bench.sh uses xvfb-run)".into());
    }
    for tool in ["xdotool", "import"] {
        let found = Command::new(tool)
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            return Err(format!("{tool} is missing (Debian: xdotool, imagemagick)"));
        }
    }
    println!(
        "\n== Part 4: app start-up and idle memory, {} launches each (median), next to a bare Tauri window ==\n",
        args.launches
    );

    // The goal is checked against a bare window that renders its page the way the app does
    // (on Linux the app turns WebKitGTK's hardware acceleration off, see `startup.rs`); the
    // bare window as Tauri leaves it is measured too, to show what that choice saves.
    let subjects: [(&str, &Path, &[&str]); 3] = [
        ("Recording Desk", app, &[]),
        (
            "bare window, rendering as the app",
            bare,
            &["--software-rendering"],
        ),
        ("bare window, Tauri's defaults", bare, &[]),
    ];
    // A launch that fails (a crash at start-up, a window that never paints) is reported and
    // left out of the medians rather than ending the benchmark; the summary counts them.
    let mut failures = vec![0usize; subjects.len()];
    for (i, (name, bin, flags)) in subjects.iter().enumerate() {
        if let Err(e) = launch(bin, flags, args.settle) {
            println!("{name}, warm-up launch failed: {e}");
            failures[i] += 1;
        }
    }
    let mut results: Vec<Vec<Launch>> = subjects.iter().map(|_| Vec::new()).collect();
    for k in 0..args.launches {
        for (i, (name, bin, flags)) in subjects.iter().enumerate() {
            match launch(bin, flags, args.settle) {
                Ok(l) => results[i].push(l),
                Err(e) => {
                    println!("{name}, launch {} failed: {e}", k + 1);
                    failures[i] += 1;
                }
            }
        }
    }
    for (i, (name, _, _)) in subjects.iter().enumerate() {
        summary.check(
            format!("{name}: launches that failed"),
            format!("{} of {}", failures[i], args.launches + 1),
            "0",
            failures[i] == 0,
        );
        if results[i].is_empty() {
            return Err(format!("{name}: no launch succeeded"));
        }
    }

    let mut table = Table::new(&[
        "",
        "launch",
        "window mapped",
        "ready (painted)",
        "capture",
        "idle PSS, all processes",
        "anonymous",
        "PSS by process",
    ]);
    for (i, (name, _, _)) in subjects.iter().enumerate() {
        for (k, l) in results[i].iter().enumerate() {
            table.row(vec![
                if k == 0 {
                    (*name).to_owned()
                } else {
                    String::new()
                },
                (k + 1).to_string(),
                ms(l.mapped),
                ms(l.ready),
                ms(l.capture),
                mib(l.pss_total()),
                mib(l.anon),
                l.pss
                    .iter()
                    .map(|(n, kib)| format!("{n} {}", mib(*kib)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
        table.row(vec![
            String::new(),
            "median".into(),
            ms(median(results[i].iter().map(|l| l.mapped))),
            ms(median(results[i].iter().map(|l| l.ready))),
            String::new(),
            mib(median(results[i].iter().map(Launch::pss_total))),
            mib(median(results[i].iter().map(Launch::anon))),
            String::new(),
        ]);
    }
    print!("{}", table.render());

    let ready = |i: usize| median(results[i].iter().map(|l| l.ready));
    let pss = |i: usize| median(results[i].iter().map(Launch::pss_total));
    let anon = |i: usize| median(results[i].iter().map(Launch::anon));
    let ratios = |i: usize| {
        (
            ready(0).as_secs_f64() / ready(i).as_secs_f64(),
            pss(0) as f64 / pss(i) as f64,
            anon(0) as f64 / anon(i) as f64,
        )
    };
    for (i, (name, _, _)) in subjects.iter().enumerate().skip(1) {
        let (startup, memory, anonymous) = ratios(i);
        println!(
            "vs {name}: start-up {} vs {} = {startup:.2}×; idle memory (PSS) {} vs {} = \
             {memory:.2}×; anonymous memory alone {} vs {} = {anonymous:.2}×",
            ms(ready(0)),
            ms(ready(i)),
            mib(pss(0)),
            mib(pss(i)),
            mib(anon(0)),
            mib(anon(i)),
        );
    }
    println!(
        "PSS shares each library page among every process on the machine that maps it, so it \
         drops while other WebKit apps run; launches alternate so all sides see the same \
         conditions. Anonymous memory (heaps, JavaScript) is not shared with other processes."
    );
    let (startup_ratio, memory_ratio, _) = ratios(1);
    summary.check(
        "app start-up to window ready, vs bare window rendering as the app".into(),
        format!("{startup_ratio:.2}× ({} vs {})", ms(ready(0)), ms(ready(1))),
        "≤ 1.5×",
        startup_ratio <= MAX_STARTUP_RATIO,
    );
    summary.check(
        "app idle memory (PSS, with WebKit processes), vs bare window rendering as the app".into(),
        format!("{memory_ratio:.2}× ({} vs {})", mib(pss(0)), mib(pss(1))),
        "≤ 1.15×",
        memory_ratio <= MAX_MEMORY_RATIO,
    );
    let (startup_default, memory_default, _) = ratios(2);
    summary.check(
        "app start-up, vs bare window with Tauri's defaults".into(),
        format!(
            "{startup_default:.2}× ({} vs {})",
            ms(ready(0)),
            ms(ready(2))
        ),
        "≤ 1.5×",
        startup_default <= MAX_STARTUP_RATIO,
    );
    summary.check(
        "app idle memory, vs bare window with Tauri's defaults".into(),
        format!("{memory_default:.2}× ({} vs {})", mib(pss(0)), mib(pss(2))),
        "≤ 1.15×",
        memory_default <= MAX_MEMORY_RATIO,
    );
    Ok(())
}

/// One launch: spawn with fresh folders, wait for the window to be ready, let it settle, read
/// the memory of its process tree, and end it.
fn launch(bin: &Path, flags: &[&str], settle: Duration) -> Result<Launch, String> {
    let home = Scratch::new()?;
    let mut cmd = Command::new(bin);
    cmd.args(flags);
    for (var, dir) in [
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ] {
        let path = home.0.join(dir);
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        cmd.env(var, path);
    }
    let log_path = home.0.join("output.log");
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log2 = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    let started = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut guard = Running::new(child);
    let pid = guard.pid();

    let (window, mapped) = loop {
        if let Some(w) = visible_window(pid) {
            break (w, started.elapsed());
        }
        guard.check_alive(&log_path)?;
        if started.elapsed() > READY_TIMEOUT {
            return Err("no window appeared".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (ready, capture) = loop {
        let at = started.elapsed();
        let t = Instant::now();
        let painted = painted(&window)?;
        let took = t.elapsed();
        if painted {
            break (at, took);
        }
        guard.check_alive(&log_path)?;
        if started.elapsed() > READY_TIMEOUT {
            return Err("the window stayed blank".into());
        }
    };

    std::thread::sleep(settle);
    guard.check_alive(&log_path)?;
    let mut pss: BTreeMap<String, u64> = BTreeMap::new();
    let mut anon = 0;
    for (p, name) in process_tree(pid) {
        if let Some(kib) = rollup_kib(p, "Pss:") {
            *pss.entry(name).or_default() += kib;
        }
        anon += rollup_kib(p, "Anonymous:").unwrap_or(0);
    }
    guard.stop();
    Ok(Launch {
        mapped,
        ready,
        capture,
        pss,
        anon,
    })
}

/// The first visible (mapped) window of the process, if any.
fn visible_window(pid: u32) -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--pid", &pid.to_string()])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// Whether the page area of the window (see the module docs) shows anything but one flat colour.
fn painted(window: &str) -> Result<bool, String> {
    let out = Command::new("import")
        .args(["-silent", "-window", window, "-depth", "8", "ppm:-"])
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("import: {e}"))?;
    if !out.status.success() {
        // The window can be unmapped again for a moment while it is being set up.
        return Ok(false);
    }
    let Some((width, height, rgb)) = parse_ppm(&out.stdout) else {
        return Err("import did not produce a PPM image".into());
    };
    let page = rgb.get(width * 3 * (height / 8)..).unwrap_or_default();
    Ok(differing_pixels(page) >= PAINTED_PIXELS)
}

/// Width, height and RGB bytes of a binary PPM (`P6`, 8 bits per channel).
fn parse_ppm(data: &[u8]) -> Option<(usize, usize, &[u8])> {
    // Header: "P6", width, height, maxval, separated by whitespace, then one whitespace byte.
    let mut fields = Vec::with_capacity(4);
    let mut i = 0;
    while fields.len() < 4 {
        while data.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&data[start..i]).ok()?);
    }
    let pixels = data.get(i + 1..)?;
    let (width, height): (usize, usize) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    (fields[0] == "P6" && fields[3] == "255" && pixels.len() >= width * height * 3)
        .then(|| (width, height, &pixels[..width * height * 3]))
}

/// Pixels (RGB triplets) that differ from the first one.
fn differing_pixels(rgb: &[u8]) -> usize {
    let mut pixels = rgb.chunks_exact(3);
    let Some(first) = pixels.next() else { return 0 };
    pixels.filter(|p| *p != first).count()
}

/// The process and all its descendants, with their names (`comm`), from `/proc`.
fn process_tree(root: u32) -> Vec<(u32, String)> {
    let mut all: Vec<(u32, u32, String)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            if let Some((ppid, name)) = stat(pid) {
                all.push((pid, ppid, name));
            }
        }
    }
    let mut tree: Vec<(u32, String)> = all
        .iter()
        .filter(|(pid, _, _)| *pid == root)
        .map(|(pid, _, name)| (*pid, name.clone()))
        .collect();
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i].0;
        for (pid, ppid, name) in &all {
            if *ppid == parent && !tree.iter().any(|(p, _)| p == pid) {
                tree.push((*pid, name.clone()));
            }
        }
        i += 1;
    }
    tree
}

/// `(ppid, comm)` from `/proc/<pid>/stat`. The name is in parentheses and may itself contain
/// spaces or parentheses, so the fields after it are found from the last `)`.
fn stat(pid: u32) -> Option<(u32, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_owned();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?;
    if state == "Z" {
        return None;
    }
    let ppid = rest.next()?.parse().ok()?;
    Some((ppid, name))
}

/// A field of `/proc/<pid>/smaps_rollup`, in KiB.
fn rollup_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The launched app: ended, with every process it started, when dropped.
struct Running {
    child: Child,
    done: bool,
}

impl Running {
    fn new(child: Child) -> Running {
        Running { child, done: false }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An error, with the end of the process's output, if it has exited.
    fn check_alive(&mut self, log: &Path) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                let output = std::fs::read_to_string(log).unwrap_or_default();
                let lines: Vec<&str> = output.lines().collect();
                let tail = lines[lines.len().saturating_sub(15)..].join("\n");
                Err(format!(
                    "the process exited early ({status}); its last output:\n{tail}"
                ))
            }
            _ => Ok(()),
        }
    }

    fn stop(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let tree = process_tree(self.pid());
        let _ = self.child.kill();
        let _ = self.child.wait();
        // WebKit's helper processes leave when their parent's connection closes; wait for that,
        // then end any straggler (by its own ID: they are this launch's processes).
        let deadline = Instant::now() + Duration::from_secs(5);
        let alive = |pid: u32| stat(pid).is_some();
        while tree.iter().any(|(p, _)| alive(*p)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        for (p, _) in tree.iter().filter(|(p, _)| alive(*p)) {
            let _ = Command::new("kill")
                .args(["-KILL", &p.to_string()])
                .status();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fresh folder for one launch's settings and data, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("desk-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn median<T: Ord + Copy + Default>(values: impl Iterator<Item = T>) -> T {
    let mut v: Vec<T> = values.collect();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_captures_are_blank() {
        assert_eq!(differing_pixels(&[]), 0);
        assert_eq!(differing_pixels(&[255; 300]), 0);
        let mut img = vec![255u8; 300];
        img[150] = 0;
        assert_eq!(differing_pixels(&img), 1);
    }

    #[test]
    fn reads_ppm() {
        let mut img = b"P6\n2 1\n255\n".to_vec();
        img.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(parse_ppm(&img), Some((2, 1, &[1u8, 2, 3, 4, 5, 6][..])));
        assert_eq!(parse_ppm(b"P6\n2 1\n255\n\x01"), None, "too short");
        assert_eq!(parse_ppm(b"P3\n1 1\n255\n1 2 3"), None, "not binary");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn own_process_is_in_its_tree() {
        let me = std::process::id();
        let tree = process_tree(me);
        assert_eq!(tree.first().map(|(p, _)| *p), Some(me));
        assert!(rollup_kib(me, "Pss:").is_some_and(|k| k > 0));
        assert!(rollup_kib(me, "Anonymous:").is_some_and(|k| k > 0));
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median([3u64, 1, 2].into_iter()), 2);
        assert_eq!(median([4u64, 1, 3, 2].into_iter()), 3);
    }
}
