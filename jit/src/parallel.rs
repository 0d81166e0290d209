//! Running independent work over all cores, keeping results in order.

/// Splits `items` into up to `threads` contiguous chunks, runs `f` on each
/// chunk on a thread of its own (the first on this one), and returns the
/// outputs concatenated in order.
pub(crate) fn map_chunks<T: Send, R: Send>(
    mut items: Vec<T>,
    threads: usize,
    f: impl Fn(Vec<T>) -> Vec<R> + Sync,
) -> Vec<R> {
    let count = items.len();
    let threads = threads.clamp(1, count.max(1));
    if threads == 1 {
        return f(items);
    }
    // Chunk `t` is `t * count / threads .. (t + 1) * count / threads`.
    let mut chunks: Vec<Vec<T>> = (1..threads).rev().map(|t| items.split_off(t * count / threads)).collect();
    chunks.reverse();
    let f = &f;
    std::thread::scope(|scope| {
        let helpers: Vec<_> = chunks.into_iter().map(|chunk| scope.spawn(move || f(chunk))).collect();
        let mut results = f(items);
        for helper in helpers {
            match helper.join() {
                Ok(part) => results.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

/// `f(0), f(1), ... f(count - 1)`, computed on up to `threads` threads;
/// results in index order.
pub(crate) fn map_in_order<T: Send>(count: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    map_chunks((0..count).collect(), threads, |chunk| chunk.into_iter().map(&f).collect())
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
