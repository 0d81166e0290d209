// A hash table: open addressing with linear probing and tombstones, 32-bit
// keys and values, as a cache or an interning table is used: n rounds of
// insert-or-update, lookup and delete over a key space larger than the
// table holds at once. Small functions called every few instructions.
// run(n) = a checksum of every lookup's result and the final live count.

#define SLOTS (1u << 16) // a power of two
#define EMPTY 0u
#define TOMB 1u

static unsigned table_keys[SLOTS];
static unsigned table_vals[SLOTS];
static unsigned live;

__attribute__((noinline)) static unsigned hash(unsigned k) {
    k ^= k >> 16; k *= 0x7feb352du; k ^= k >> 15; k *= 0x846ca68bu; k ^= k >> 16;
    return k;
}

// The slot holding key k, or the first free slot on its probe path
// (SLOTS if the table is full and k is absent).
__attribute__((noinline)) static unsigned find(unsigned k, int for_insert) {
    unsigned i = hash(k) & (SLOTS - 1);
    unsigned free = SLOTS;
    for (unsigned probes = 0; probes < SLOTS; probes++, i = (i + 1) & (SLOTS - 1)) {
        unsigned slot = table_keys[i];
        if (slot == k) return i;
        if (slot == EMPTY) return for_insert && free != SLOTS ? free : (for_insert ? i : SLOTS);
        if (slot == TOMB && free == SLOTS) free = i;
    }
    return for_insert ? free : SLOTS;
}

__attribute__((noinline)) static void put(unsigned k, unsigned v) {
    unsigned i = find(k, 1);
    if (i == SLOTS) return;
    if (table_keys[i] != k) { table_keys[i] = k; live++; table_vals[i] = v; }
    else table_vals[i] += v;
}

__attribute__((noinline)) static unsigned get(unsigned k) {
    unsigned i = find(k, 0);
    return i == SLOTS ? 0 : table_vals[i];
}

__attribute__((noinline)) static void del(unsigned k) {
    unsigned i = find(k, 0);
    if (i != SLOTS) { table_keys[i] = TOMB; live--; }
}

__attribute__((export_name("run"))) unsigned run(unsigned n) {
    for (unsigned i = 0; i < SLOTS; i++) table_keys[i] = EMPTY;
    live = 0;
    unsigned x = 362436069u, sum = 0;
    for (unsigned r = 0; r < n; r++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        unsigned k = (x % 40000u) + 2; // keys 0 and 1 mark empty and dead slots
        put(k, r);
        sum = sum * 31 + get(k ^ 1);
        if ((x & 3) == 0) del((x >> 8) % 40000u + 2);
    }
    return sum ^ live;
}
