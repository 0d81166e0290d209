/* SIMD benchmark kernels: plain C loops that clang vectorizes with
 * -msimd128 and leaves scalar without it (benches/simd/build.sh builds
 * both). `run(kernel, reps)` runs one kernel `reps` times over fixed data
 * and returns a checksum, the same for both builds. Freestanding: no libc. */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef short i16;
typedef int i32;

#define N 4096
#define M 48

static float xs[N], ys[N];
static u8 img_a[N], img_b[N], img_out[N];
static i16 va[N], vb[N];
static i32 ints[N];
static float ma[M * M], mb[M * M], mc[M * M];

static u32 seed = 12345;
static u32 next(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static void init(void) {
    seed = 12345;
    for (int i = 0; i < N; i++) {
        xs[i] = (float)(next() % 1000) / 250.0f;
        ys[i] = (float)(next() % 1000) / 500.0f;
        img_a[i] = (u8)next();
        img_b[i] = (u8)next();
        va[i] = (i16)(next() % 2001) - 1000;
        vb[i] = (i16)(next() % 2001) - 1000;
        ints[i] = (i32)(next() % 100000) - 50000;
    }
    for (int i = 0; i < M * M; i++) {
        ma[i] = (float)(next() % 100) / 50.0f;
        mb[i] = (float)(next() % 100) / 50.0f;
    }
}

/* y = a * x + y, then a sum so the work is observable. */
static u32 saxpy(int reps) {
    float total = 0.0f;
    for (int r = 0; r < reps; r++) {
        float a = (float)(r & 7) * 0.125f;
        for (int i = 0; i < N; i++) ys[i] = a * xs[i] + ys[i] * 0.5f;
        for (int i = 0; i < N; i++) total += ys[i];
    }
    return (u32)(i32)total;
}

/* Alpha blending of two 8-bit images. */
static u32 blend(int reps) {
    u32 sum = 0;
    for (int r = 0; r < reps; r++) {
        u16 alpha = (u16)(r & 255);
        for (int i = 0; i < N; i++)
            img_out[i] = (u8)((img_a[i] * alpha + img_b[i] * (u16)(255 - alpha)) >> 8);
        for (int i = 0; i < N; i++) sum += img_out[i];
    }
    return sum;
}

/* Dot product of 16-bit vectors, accumulated in 32 bits. */
static u32 dot16(int reps) {
    i32 sum = 0;
    for (int r = 0; r < reps; r++) {
        i32 dot = 0;
        for (int i = 0; i < N; i++) dot += (i32)va[i] * (i32)vb[i];
        sum += dot ^ r;
    }
    return (u32)sum;
}

/* Minimum, maximum and count of positives of an int array. */
static u32 minmax(int reps) {
    u32 acc = 0;
    for (int r = 0; r < reps; r++) {
        i32 lo = ints[0], hi = ints[0], pos = 0;
        for (int i = 0; i < N; i++) {
            i32 v = ints[i] + r;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            pos += v > 0;
        }
        acc += (u32)(lo ^ hi ^ pos);
    }
    return acc;
}

/* Single-precision matrix multiply. */
static u32 matmul(int reps) {
    float total = 0.0f;
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < M; j++) mc[i * M + j] = 0.0f;
            for (int k = 0; k < M; k++) {
                float a = ma[i * M + k];
                for (int j = 0; j < M; j++) mc[i * M + j] += a * mb[k * M + j];
            }
        }
        total += mc[(r * 7) % (M * M)];
    }
    return (u32)(i32)total;
}

u32 run(int kernel, int reps) {
    init();
    switch (kernel) {
    case 0: return saxpy(reps);
    case 1: return blend(reps);
    case 2: return dot16(reps);
    case 3: return minmax(reps);
    default: return matmul(reps);
    }
}
