//! Distinct contacts over groups (bots, owners), counted without gathering them again.

use std::{cmp::Reverse, collections::BinaryHeap};

/// Makes `ids` a set: sorted, without repeats, and without spare capacity.
pub fn make_set(ids: &mut Vec<i64>) {
    ids.sort_unstable();
    ids.dedup();
    ids.shrink_to_fit();
}

/// How many distinct ids the sets (each as [`make_set`] leaves it) hold together: a merge
/// of them, which copies none. A 90-day report of a large account has millions of
/// contacts, and a copy of all of them to sort was the report's largest allocation.
pub fn union_len<'a>(sets: impl IntoIterator<Item = &'a [i64]>) -> usize {
    let sets: Vec<&[i64]> = sets.into_iter().collect();
    let mut heap: BinaryHeap<Reverse<(i64, usize, usize)>> = sets
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.first().map(|&id| Reverse((id, i, 0))))
        .collect();
    let (mut n, mut last) = (0, None);
    while let Some(Reverse((id, i, j))) = heap.pop() {
        if last != Some(id) {
            n += 1;
            last = Some(id);
        }
        if let Some(&next) = sets[i].get(j + 1) {
            heap.push(Reverse((next, i, j + 1)));
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_union_counts_each_id_once_however_many_sets_hold_it() {
        let mut a = vec![5, 1, 3, 3, 9];
        let mut b = vec![3, 4, 5];
        let mut empty = vec![];
        for s in [&mut a, &mut b, &mut empty] {
            make_set(s);
        }
        assert_eq!(a, vec![1, 3, 5, 9]);
        assert_eq!(union_len([&a[..], &b[..], &empty[..]]), 5);
        assert_eq!(union_len([&b[..]]), 3);
        assert_eq!(union_len(std::iter::empty::<&[i64]>()), 0);
    }
}
