// Floating point over memory: a dense f64 matrix multiply C = A * B of
// n x n matrices (n <= 256, three matrices = 1.5 MiB), i-k-j loop order.
// The entries are small integers, so every product and sum is exact and
// run(n) = sum of all entries of C is the same in any correct engine.

#define MAXN 256
static double A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];

__attribute__((export_name("run"))) double run(int n) {
    if (n > MAXN) n = MAXN;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i * n + j] = (double)((i * 7 + j * 3) % 17) - 8.0;
            B[i * n + j] = (double)((i * 5 + j * 11) % 13) - 6.0;
            C[i * n + j] = 0.0;
        }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double a = A[i * n + k];
            for (int j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
        }
    double sum = 0.0;
    for (int i = 0; i < n * n; i++) sum += C[i] * (double)(i % 3 + 1);
    return sum;
}
