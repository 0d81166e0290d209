//! Running independent work over all cores, keeping results in order.

/// `f(0), f(1), ... f(count - 1)`, computed on up to `threads` threads,
/// each taking a contiguous share; results in index order.
pub(crate) fn map_in_order<T: Send>(count: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.clamp(1, count.max(1));
    if threads == 1 {
        return (0..count).map(f).collect();
    }
    let share = |t: usize| t * count / threads..(t + 1) * count / threads;
    let f = &f;
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|t| scope.spawn(move || share(t).map(f).collect::<Vec<T>>())).collect();
        let mut results: Vec<T> = share(0).map(f).collect();
        for helper in helpers {
            match helper.join() {
                Ok(part) => results.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_in_index_order_for_any_thread_count() {
        for threads in [1, 2, 3, 7, 100] {
            for count in [0, 1, 5, 64] {
                let squares = super::map_in_order(count, threads, |i| i * i);
                assert_eq!(squares, (0..count).map(|i| i * i).collect::<Vec<_>>(), "{threads} threads, {count}");
            }
        }
    }
}
