//! Target choice among candidates: smooth weighted round-robin and weighted least-in-flight.
//!
//! Pure: callers pass the candidate indices, the weights and the in-flight counts.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Smooth weighted round-robin (the nginx algorithm): over any run of picks among the same
/// candidates, each is chosen in proportion to its weight, interleaved rather than in bursts.
#[derive(Debug)]
pub(crate) struct RoundRobin {
    current: Mutex<Vec<i64>>,
}

impl RoundRobin {
    pub(crate) fn new(targets: usize) -> Self {
        Self {
            current: Mutex::new(vec![0; targets]),
        }
    }

    /// Picks one of `candidates` (indices into `weights`); `None` when there is none.
    pub(crate) fn pick(&self, candidates: &[usize], weights: &[u32]) -> Option<usize> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let total: i64 = candidates.iter().map(|&i| i64::from(weights[i])).sum();
        let mut best: Option<usize> = None;
        for &i in candidates {
            current[i] += i64::from(weights[i]);
            if best.is_none_or(|b| current[i] > current[b]) {
                best = Some(i);
            }
        }
        let chosen = best?;
        current[chosen] -= total;
        Some(chosen)
    }
}

/// Weighted least in-flight: the candidate with the lowest `in_flight / weight`; ties are
/// broken by rotating the starting point so that equally idle targets share the load.
#[derive(Debug, Default)]
pub(crate) struct LeastConnections {
    rotation: AtomicUsize,
}

impl LeastConnections {
    pub(crate) fn pick(
        &self,
        candidates: &[usize],
        weights: &[u32],
        in_flight: impl Fn(usize) -> usize,
    ) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        let start = self.rotation.fetch_add(1, Ordering::Relaxed) % candidates.len();
        let mut best: Option<(usize, u128, u128)> = None; // (index, in_flight, weight)
        for k in 0..candidates.len() {
            let i = candidates[(start + k) % candidates.len()];
            let (load, weight) = (in_flight(i) as u128, u128::from(weights[i]));
            // load / weight < best_load / best_weight, without division.
            if best.is_none_or(|(_, bl, bw)| load * bw < bl * weight) {
                best = Some((i, load, weight));
            }
        }
        best.map(|(i, _, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_follows_weights_interleaved() {
        let rr = RoundRobin::new(3);
        let weights = [5, 1, 1];
        let picks: Vec<usize> = (0..7)
            .map(|_| rr.pick(&[0, 1, 2], &weights).unwrap())
            .collect();
        assert_eq!(picks, vec![0, 0, 1, 0, 2, 0, 0]);
        let mut counts = [0; 3];
        for _ in 0..700 {
            counts[rr.pick(&[0, 1, 2], &weights).unwrap()] += 1;
        }
        assert_eq!(counts, [500, 100, 100]);
    }

    #[test]
    fn round_robin_skips_non_candidates() {
        let rr = RoundRobin::new(3);
        let weights = [1, 1, 1];
        for _ in 0..10 {
            assert_ne!(rr.pick(&[0, 2], &weights).unwrap(), 1);
        }
        assert_eq!(rr.pick(&[], &weights), None);
    }

    #[test]
    fn least_connections_prefers_the_idle_and_rotates_ties() {
        let lc = LeastConnections::default();
        let weights = [1, 1, 1];
        let loads = [3, 0, 2];
        for _ in 0..5 {
            assert_eq!(lc.pick(&[0, 1, 2], &weights, |i| loads[i]), Some(1));
        }
        let mut seen = [false; 3];
        for _ in 0..3 {
            seen[lc.pick(&[0, 1, 2], &weights, |_| 0).unwrap()] = true;
        }
        assert_eq!(seen, [true, true, true]);
    }

    #[test]
    fn least_connections_is_weighted() {
        let lc = LeastConnections::default();
        // 4 in flight on weight 4 beats 2 in flight on weight 1.
        assert_eq!(lc.pick(&[0, 1], &[4, 1], |i| [4, 2][i]), Some(0));
        assert_eq!(lc.pick(&[], &[1], |_| 0), None);
    }
}
