// Sorting: quicksort (median of three, insertion sort below 16 elements)
// of n pseudo-random 32-bit keys, recursive on the smaller side; a mix of
// calls, compares and memory traffic. run(n) = a checksum of the sorted
// array (order-sensitive), or 0 if it is not sorted.

#define MAX (1u << 20)
static unsigned keys[MAX];

static void swap(unsigned *a, unsigned *b) { unsigned t = *a; *a = *b; *b = t; }

__attribute__((noinline)) static void insertion(unsigned *a, int n) {
    for (int i = 1; i < n; i++) {
        unsigned v = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

__attribute__((noinline)) static void quicksort(unsigned *a, int n) {
    while (n > 16) {
        int mid = n / 2;
        if (a[mid] < a[0]) swap(&a[mid], &a[0]);
        if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
        if (a[n - 1] < a[mid]) swap(&a[n - 1], &a[mid]);
        unsigned pivot = a[mid];
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i >= j) break;
            swap(&a[i], &a[j]);
            i++; j--;
        }
        int left = j + 1;
        if (left < n - left) { quicksort(a, left); a += left; n -= left; }
        else { quicksort(a + left, n - left); n = left; }
    }
    insertion(a, n);
}

__attribute__((export_name("run"))) unsigned run(unsigned n) {
    if (n > MAX) n = MAX;
    unsigned x = 88172645u;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        keys[i] = x;
    }
    quicksort(keys, (int)n);
    unsigned h = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i > 0 && keys[i - 1] > keys[i]) return 0;
        h = (h ^ keys[i]) * 16777619u;
    }
    return h;
}
