// A loop over memory: the sieve of Eratosthenes on an n-byte buffer
// (n <= 4 MiB), then a word-wise checksum pass over the whole buffer.
// run(n) = (number of primes below n) * 2654435761 + checksum of the
// buffer read as 32-bit little-endian words with a rotate-xor mix.

#define MAX (4u << 20)
static unsigned char flags[MAX];

__attribute__((export_name("run"))) unsigned run(unsigned n) {
    if (n > MAX) n = MAX;
    if (n < 2) return 0;
    for (unsigned i = 0; i < n; i++) flags[i] = 1;
    flags[0] = 0;
    flags[1] = 0;
    for (unsigned i = 2; i * i < n; i++)
        if (flags[i])
            for (unsigned j = i * i; j < n; j += i) flags[j] = 0;
    unsigned count = 0;
    for (unsigned i = 0; i < n; i++) count += flags[i];
    // Word-wise pass: every 4-byte group of flags, mixed in order.
    const unsigned *words = (const unsigned *)flags;
    unsigned h = 0;
    for (unsigned i = 0; i < n / 4; i++) {
        h = (h << 5 | h >> 27) ^ words[i];
        h *= 0x9E3779B1u;
    }
    return count * 2654435761u + h;
}
