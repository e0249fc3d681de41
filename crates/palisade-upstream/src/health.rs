//! Health bookkeeping per target (pure state machines over an injected clock) and the active
//! checker tasks.

use std::ops::RangeInclusive;
use std::sync::Weak;
use std::time::Duration;

use palisade_config::{HealthCheck, PassiveHealth};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::Pool;

/// Status codes a health check accepts when the configuration lists none.
pub(crate) const DEFAULT_EXPECT: RangeInclusive<u16> = 200..=399;

/// Active health: thresholds of consecutive probe outcomes. Targets start healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Active {
    pub(crate) healthy: bool,
    successes: u32,
    failures: u32,
}

impl Active {
    pub(crate) fn new() -> Self {
        Self {
            healthy: true,
            successes: 0,
            failures: 0,
        }
    }

    /// Records one probe; returns `true` when the healthy flag flipped.
    pub(crate) fn record(&mut self, ok: bool, cfg: &HealthCheck) -> bool {
        let before = self.healthy;
        if ok {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
            if !self.healthy && self.successes >= cfg.healthy_threshold.max(1) {
                self.healthy = true;
            }
        } else {
            self.successes = 0;
            self.failures = self.failures.saturating_add(1);
            if self.healthy && self.failures >= cfg.unhealthy_threshold.max(1) {
                self.healthy = false;
            }
        }
        before != self.healthy
    }
}

/// Passive health: consecutive failed requests eject a target for a while.
///
/// After the ejection the target takes traffic again half-open: the failure count is kept, so
/// the next failure ejects it again at once, while one success resets the count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Passive {
    consecutive: u32,
    ejected_until: Option<Instant>,
}

impl Passive {
    /// Records one request outcome; returns `true` when this outcome ejected the target.
    pub(crate) fn record(&mut self, ok: bool, now: Instant, cfg: &PassiveHealth) -> bool {
        if ok {
            self.consecutive = 0;
            self.ejected_until = None;
            return false;
        }
        self.consecutive = self.consecutive.saturating_add(1);
        if cfg.consecutive_failures == 0 || self.consecutive < cfg.consecutive_failures {
            return false;
        }
        let newly = !self.is_ejected(now);
        self.ejected_until = Some(now + cfg.ejection);
        newly
    }

    pub(crate) fn is_ejected(&self, now: Instant) -> bool {
        self.ejected_until.is_some_and(|until| now < until)
    }

    #[cfg(test)]
    pub(crate) fn consecutive(&self) -> u32 {
        self.consecutive
    }
}

/// Whether `status` is one a health check accepts.
pub(crate) fn status_ok(status: u16, expect: &[RangeInclusive<u16>]) -> bool {
    if expect.is_empty() {
        return DEFAULT_EXPECT.contains(&status);
    }
    expect.iter().any(|r| r.contains(&status))
}

/// The active health-check tasks of one pool; they stop when this is dropped.
#[derive(Debug)]
pub struct HealthChecker {
    tasks: Vec<JoinHandle<()>>,
}

impl HealthChecker {
    pub(crate) fn spawn(
        pool: Weak<Pool>,
        targets: usize,
        cfg: Option<HealthCheck>,
        idle: Duration,
    ) -> Self {
        let reap = (idle / 2).clamp(REAP_MIN, REAP_MAX);
        let mut tasks = vec![tokio::spawn(reap_loop(pool.clone(), reap))];
        if let Some(cfg) = cfg {
            tasks.extend(
                (0..targets).map(|idx| tokio::spawn(check_loop(pool.clone(), idx, cfg.clone()))),
            );
        }
        Self { tasks }
    }

    /// How many checker tasks run (one per target; none without a `health_check`).
    pub fn tasks(&self) -> usize {
        self.tasks.len() - 1
    }
}

impl Drop for HealthChecker {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Bounds of the period at which idle connections past the idle timeout are closed.
const REAP_MIN: Duration = Duration::from_millis(500);
const REAP_MAX: Duration = Duration::from_secs(30);

/// Closes idle upstream connections past the idle timeout, until the pool is dropped.
async fn reap_loop(pool: Weak<Pool>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(strong) = pool.upgrade() else { return };
        strong.reap_idle();
    }
}

async fn check_loop(pool: Weak<Pool>, idx: usize, cfg: HealthCheck) {
    loop {
        let Some(strong) = pool.upgrade() else { return };
        let ok = strong.probe(idx, &cfg).await;
        strong.record_active(idx, ok, &cfg);
        drop(strong);
        tokio::time::sleep(cfg.interval).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn hc(healthy: u32, unhealthy: u32) -> HealthCheck {
        HealthCheck {
            path: "/healthz".into(),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            healthy_threshold: healthy,
            unhealthy_threshold: unhealthy,
            expect_status: vec![200..=299],
        }
    }

    #[test]
    fn active_thresholds() {
        let cfg = hc(2, 3);
        let mut a = Active::new();
        // (outcome, healthy after)
        let steps = [
            (false, true),
            (false, true),
            (true, true), // resets the failure run
            (false, true),
            (false, true),
            (false, false), // third consecutive failure
            (true, false),
            (false, false), // resets the success run
            (true, false),
            (true, true), // second consecutive success
        ];
        for (n, (ok, want)) in steps.into_iter().enumerate() {
            a.record(ok, &cfg);
            assert_eq!(a.healthy, want, "step {n}");
        }
    }

    #[test]
    fn passive_ejection_and_half_open() {
        let cfg = PassiveHealth {
            consecutive_failures: 2,
            ejection: Duration::from_secs(10),
        };
        let t0 = Instant::now();
        let mut p = Passive::default();
        assert!(!p.record(false, t0, &cfg));
        assert!(!p.is_ejected(t0));
        assert!(p.record(false, t0, &cfg), "second failure ejects");
        assert!(p.is_ejected(t0 + Duration::from_secs(9)));
        let after = t0 + Duration::from_secs(11);
        assert!(!p.is_ejected(after), "back after the ejection");
        assert!(
            p.record(false, after, &cfg),
            "half-open: one more failure ejects again"
        );
        assert!(p.is_ejected(after + Duration::from_secs(1)));
        let later = after + Duration::from_secs(20);
        assert!(!p.record(true, later, &cfg));
        assert_eq!(p.consecutive(), 0);
        assert!(!p.record(false, later, &cfg), "a success reset the count");
    }

    #[test]
    fn passive_disabled_with_zero() {
        let cfg = PassiveHealth {
            consecutive_failures: 0,
            ejection: Duration::from_secs(10),
        };
        let mut p = Passive::default();
        let now = Instant::now();
        for _ in 0..100 {
            assert!(!p.record(false, now, &cfg));
        }
        assert!(!p.is_ejected(now));
    }

    #[test]
    fn expected_statuses() {
        assert!(status_ok(200, &[]));
        assert!(status_ok(399, &[]));
        assert!(!status_ok(404, &[]));
        assert!(status_ok(404, &[200..=200, 400..=404]));
        assert!(!status_ok(503, &[200..=499]));
    }
}
