// String processing: a word-frequency count over generated text, as a
// tokenizer or a log parser does: scan bytes for word boundaries, hash
// and compare words (small string functions called for every word), look
// them up in a chained hash table of interned words, and build a report
// string. run(n) = a checksum of the report after counting an n-word
// text (texts over 100,000 words are the first 100,000 counted again).

#define TEXT_MAX (1u << 20)
#define TEXT_WORDS 100000u
#define WORDS_MAX 4096
#define BUCKETS 1024

static const char *const dictionary[] = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "erlang", "beam",
    "process", "scheduler", "message", "mailbox", "supervisor", "gen_server", "binary",
    "atom", "reduction", "webassembly", "module", "instance", "memory", "table", "export",
    "import", "function", "call", "return", "loop", "branch", "compile", "a", "of", "to",
};
#define DICT (sizeof dictionary / sizeof dictionary[0])

static char text[TEXT_MAX];
static char report[TEXT_MAX];

struct word { const char *start; unsigned len; unsigned count; int next; };
static struct word words[WORDS_MAX];
static int buckets[BUCKETS];
static int nwords;

__attribute__((noinline)) static unsigned str_len(const char *s) {
    unsigned n = 0;
    while (s[n]) n++;
    return n;
}

__attribute__((noinline)) static int mem_eq(const char *a, const char *b, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

__attribute__((noinline)) static unsigned fnv1a(const char *s, unsigned n) {
    unsigned h = 2166136261u;
    for (unsigned i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

__attribute__((noinline)) static void count_word(const char *s, unsigned n) {
    unsigned b = fnv1a(s, n) & (BUCKETS - 1);
    for (int w = buckets[b]; w >= 0; w = words[w].next)
        if (words[w].len == n && mem_eq(words[w].start, s, n)) { words[w].count++; return; }
    if (nwords == WORDS_MAX) return;
    words[nwords] = (struct word){s, n, 1, buckets[b]};
    buckets[b] = nwords++;
}

__attribute__((noinline)) static char *put_uint(char *out, unsigned v) {
    char digits[10];
    int k = 0;
    do { digits[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (k) *out++ = digits[--k];
    return out;
}

__attribute__((export_name("run"))) unsigned run(unsigned n) {
    // The text: n words from the dictionary, separated by spaces and commas.
    unsigned x = 521288629u, len = 0;
    for (unsigned i = 0; i < n && i < TEXT_WORDS; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        const char *w = dictionary[x % DICT];
        unsigned wl = str_len(w);
        if (len + wl + 2 >= TEXT_MAX) break;
        for (unsigned k = 0; k < wl; k++) text[len++] = w[k];
        text[len++] = (x >> 8) % 7 == 0 ? ',' : ' ';
    }
    // Tokenize and count, once per TEXT_WORDS words asked for.
    for (int b = 0; b < BUCKETS; b++) buckets[b] = -1;
    nwords = 0;
    for (unsigned pass = 0; pass == 0 || pass < n / TEXT_WORDS; pass++) {
        unsigned i = 0;
        while (i < len) {
            while (i < len && (text[i] == ' ' || text[i] == ',')) i++;
            unsigned start = i;
            while (i < len && text[i] != ' ' && text[i] != ',') i++;
            if (i > start) count_word(text + start, i - start);
        }
    }
    // The report: "word=count;" for every distinct word, in first-seen order.
    char *out = report;
    for (int w = 0; w < nwords; w++) {
        for (unsigned k = 0; k < words[w].len; k++) *out++ = words[w].start[k];
        *out++ = '=';
        out = put_uint(out, words[w].count);
        *out++ = ';';
    }
    return fnv1a(report, (unsigned)(out - report)) ^ (unsigned)nwords;
}
