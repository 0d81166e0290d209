// Interpreter-style dispatch: a small stack-machine bytecode VM (a switch
// in a loop, which clang turns into a br_table), running a program of its
// own: n rounds of a xorshift32 generator folded into an accumulator.
//
//   x = 2463534242; acc = 0; i = n;
//   do { x ^= x << 13; x ^= x >> 17; x ^= x << 5;
//        acc = acc * 31 + (x & 255); i -= 1; } while (i != 0);
//   return acc ^ x;
//
// About 31 bytecode instructions per round.

enum {
    OP_PUSH, // imm: push imm
    OP_LOAD, // r: push reg[r]
    OP_STORE, // r: reg[r] = pop
    OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_AND, OP_SHL, OP_SHRU,
    OP_DUP,
    OP_JNZ, // target: if pop != 0 goto target
    OP_JMP, // target
    OP_HALT, // return pop
};

enum { X, ACC, I, N }; // registers; N holds the argument

static const int program[] = {
    /* 0 */ OP_PUSH, (int)2463534242u, OP_STORE, X,
    /* 4 */ OP_PUSH, 0, OP_STORE, ACC,
    /* 8 */ OP_LOAD, N, OP_STORE, I,
    // loop: 12
    OP_LOAD, X, OP_DUP, OP_PUSH, 13, OP_SHL, OP_XOR, OP_STORE, X,
    OP_LOAD, X, OP_DUP, OP_PUSH, 17, OP_SHRU, OP_XOR, OP_STORE, X,
    OP_LOAD, X, OP_DUP, OP_PUSH, 5, OP_SHL, OP_XOR, OP_STORE, X,
    OP_LOAD, ACC, OP_PUSH, 31, OP_MUL, OP_LOAD, X, OP_PUSH, 255, OP_AND, OP_ADD, OP_STORE, ACC,
    OP_LOAD, I, OP_PUSH, 1, OP_SUB, OP_DUP, OP_STORE, I,
    OP_JNZ, 12,
    OP_LOAD, ACC, OP_LOAD, X, OP_XOR, OP_HALT,
};

static unsigned execute(const int *code, unsigned *reg) {
    unsigned stack[64];
    unsigned sp = 0, pc = 0;
    for (;;) {
        int op = code[pc++];
        switch (op) {
        case OP_PUSH: stack[sp++] = (unsigned)code[pc++]; break;
        case OP_LOAD: stack[sp++] = reg[code[pc++] & 3]; break;
        case OP_STORE: reg[code[pc++] & 3] = stack[--sp]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] <<= (stack[sp] & 31); break;
        case OP_SHRU: sp--; stack[sp - 1] >>= (stack[sp] & 31); break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_JNZ: { int t = code[pc++]; if (stack[--sp]) pc = (unsigned)t; break; }
        case OP_JMP: pc = (unsigned)code[pc]; break;
        case OP_HALT: return stack[--sp];
        default: return 0xDEADBEEFu;
        }
        sp &= 63;
    }
}

// A writable copy, so the optimizer cannot specialize `execute` for the program.
static int code[sizeof program / sizeof program[0]];

__attribute__((export_name("run"))) unsigned run(unsigned n) {
    if (n == 0) n = 1;
    for (unsigned k = 0; k < sizeof program / sizeof program[0]; k++) code[k] = program[k];
    unsigned reg[4] = {0, 0, 0, n};
    return execute(code, reg);
}
