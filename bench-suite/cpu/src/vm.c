/* vm: a bytecode interpreter: a small stack machine (64-bit values, local
 * variables, word memory, calls) dispatched through a switch, running a
 * fixed program assembled at start-up: a sieve of Eratosthenes in VM memory,
 * a hash of the primes found, then the total Collatz step count over a range
 * of starting values through a subroutine.  The checksum covers the
 * program's results and the number of VM instructions executed. */
#include "common.h"

#define SIEVE_N BENCH_SIZE(120000, 10000)
#define COLLATZ_N BENCH_SIZE(40000, 1500)

const char bench_name[] = "vm";
const uint64_t bench_expected = BENCH_SIZE(0x8b9e94278ed1df47ull, 0x7719ff0bed8f3647ull);

enum {
    OP_HALT,
    OP_PUSH,  /* imm32, sign-extended */
    OP_LOAD,  /* local index (1 byte) */
    OP_STORE, /* local index */
    OP_INC,   /* local index */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_AND,
    OP_OR,
    OP_XOR,
    OP_SHL,
    OP_SHR,
    OP_LT, /* unsigned */
    OP_EQ,
    OP_DUP,
    OP_DROP,
    OP_SWAP,
    OP_JMP,  /* absolute 16-bit target */
    OP_JZ,   /* pop; jump if zero */
    OP_JNZ,  /* pop; jump if not zero */
    OP_LOADM,  /* addr -> mem[addr] */
    OP_STOREM, /* addr value -> */
    OP_CALL,   /* absolute 16-bit target */
    OP_RET,
};

#define MEM_WORDS (1u << 17)
#define STACK_DEPTH 64
#define CALL_DEPTH 16

static uint8_t code[1024];
static size_t code_len;
static uint64_t mem[MEM_WORDS];

/* Assembler with forward labels. */
enum { L_OUTER, L_INNER, L_NEXT_I, L_SIEVE_DONE, L_CNT, L_CNT_NEXT, L_CNT_DONE,
       L_COL, L_COL_DONE, F_COLLATZ, L_C, L_EVEN, L_C_DONE, NUM_LABELS };
static int label_at[NUM_LABELS];
static struct { size_t at; int label; } fixups[64];
static int num_fixups;

static void emit(uint8_t op) { code[code_len++] = op; }
static void emit_u8(uint8_t op, uint8_t v) { emit(op); code[code_len++] = v; }
static void emit_push(int32_t v)
{
    uint32_t u = (uint32_t)v;
    emit(OP_PUSH);
    for (int k = 0; k < 4; k++)
        code[code_len++] = (uint8_t)(u >> (8 * k));
}
static void emit_jump(uint8_t op, int label)
{
    emit(op);
    fixups[num_fixups].at = code_len;
    fixups[num_fixups++].label = label;
    code_len += 2;
}
static void label(int l) { label_at[l] = (int)code_len; }

/* Locals. */
enum { I, J, N, COUNT, X, STEPS, ACC };

static void assemble(void)
{
    /* Sieve: mem[k] = 1 for composite k < SIEVE_N. */
    emit_push(2); emit_u8(OP_STORE, I);
    label(L_OUTER);
    emit_u8(OP_LOAD, I); emit(OP_DUP); emit(OP_MUL); emit_push(SIEVE_N); emit(OP_LT);
    emit_jump(OP_JZ, L_SIEVE_DONE);
    emit_u8(OP_LOAD, I); emit(OP_LOADM); emit_jump(OP_JNZ, L_NEXT_I);
    emit_u8(OP_LOAD, I); emit_u8(OP_LOAD, I); emit(OP_MUL); emit_u8(OP_STORE, J);
    label(L_INNER);
    emit_u8(OP_LOAD, J); emit_push(SIEVE_N); emit(OP_LT); emit_jump(OP_JZ, L_NEXT_I);
    emit_u8(OP_LOAD, J); emit_push(1); emit(OP_STOREM);
    emit_u8(OP_LOAD, J); emit_u8(OP_LOAD, I); emit(OP_ADD); emit_u8(OP_STORE, J);
    emit_jump(OP_JMP, L_INNER);
    label(L_NEXT_I);
    emit_u8(OP_INC, I); emit_jump(OP_JMP, L_OUTER);
    label(L_SIEVE_DONE);

    /* Count the primes and hash them: acc = (acc * 31 + p) ^ (acc >> 7). */
    emit_push(2); emit_u8(OP_STORE, I);
    label(L_CNT);
    emit_u8(OP_LOAD, I); emit_push(SIEVE_N); emit(OP_LT); emit_jump(OP_JZ, L_CNT_DONE);
    emit_u8(OP_LOAD, I); emit(OP_LOADM); emit_jump(OP_JNZ, L_CNT_NEXT);
    emit_u8(OP_INC, COUNT);
    emit_u8(OP_LOAD, ACC); emit_push(31); emit(OP_MUL); emit_u8(OP_LOAD, I); emit(OP_ADD);
    emit_u8(OP_LOAD, ACC); emit_push(7); emit(OP_SHR); emit(OP_XOR); emit_u8(OP_STORE, ACC);
    label(L_CNT_NEXT);
    emit_u8(OP_INC, I); emit_jump(OP_JMP, L_CNT);
    label(L_CNT_DONE);

    /* steps = sum of collatz(i) for 1 <= i < COLLATZ_N. */
    emit_push(1); emit_u8(OP_STORE, I);
    label(L_COL);
    emit_u8(OP_LOAD, I); emit_push(COLLATZ_N); emit(OP_LT); emit_jump(OP_JZ, L_COL_DONE);
    emit_u8(OP_LOAD, I); emit_jump(OP_CALL, F_COLLATZ);
    emit_u8(OP_LOAD, STEPS); emit(OP_ADD); emit_u8(OP_STORE, STEPS);
    emit_u8(OP_INC, I); emit_jump(OP_JMP, L_COL);
    label(L_COL_DONE);
    emit_u8(OP_LOAD, COUNT); emit_u8(OP_LOAD, ACC); emit_u8(OP_LOAD, STEPS);
    emit(OP_HALT);

    /* collatz(x): number of steps to reach 1. */
    label(F_COLLATZ);
    emit_u8(OP_STORE, X); emit_push(0); emit_u8(OP_STORE, N);
    label(L_C);
    emit_u8(OP_LOAD, X); emit_push(1); emit(OP_EQ); emit_jump(OP_JNZ, L_C_DONE);
    emit_u8(OP_INC, N);
    emit_u8(OP_LOAD, X); emit_push(1); emit(OP_AND); emit_jump(OP_JZ, L_EVEN);
    emit_u8(OP_LOAD, X); emit_push(3); emit(OP_MUL); emit_push(1); emit(OP_ADD);
    emit_u8(OP_STORE, X); emit_jump(OP_JMP, L_C);
    label(L_EVEN);
    emit_u8(OP_LOAD, X); emit_push(1); emit(OP_SHR); emit_u8(OP_STORE, X);
    emit_jump(OP_JMP, L_C);
    label(L_C_DONE);
    emit_u8(OP_LOAD, N); emit(OP_RET);

    for (int k = 0; k < num_fixups; k++) {
        uint32_t target = (uint32_t)label_at[fixups[k].label];
        code[fixups[k].at] = (uint8_t)target;
        code[fixups[k].at + 1] = (uint8_t)(target >> 8);
    }
}

/* Runs the program; returns the number of instructions executed, or 0 on a
 * VM fault.  The final stack is left in *out (depth in *depth). */
static uint64_t run(uint64_t *out, int *depth)
{
    uint64_t stack[STACK_DEPTH];
    uint64_t locals[8] = {0};
    uint32_t calls[CALL_DEPTH];
    int sp = 0, csp = 0;
    uint32_t pc = 0;
    uint64_t executed = 0;
    for (;;) {
        uint8_t op = code[pc++];
        executed++;
        if (sp > STACK_DEPTH - 2)
            return 0;
        switch (op) {
        case OP_HALT:
            for (int k = 0; k < sp; k++)
                out[k] = stack[k];
            *depth = sp;
            return executed;
        case OP_PUSH: {
            uint32_t u = (uint32_t)code[pc] | (uint32_t)code[pc + 1] << 8 |
                         (uint32_t)code[pc + 2] << 16 | (uint32_t)code[pc + 3] << 24;
            pc += 4;
            stack[sp++] = (uint64_t)(int64_t)(int32_t)u;
            break;
        }
        case OP_LOAD:
            stack[sp++] = locals[code[pc++] & 7];
            break;
        case OP_STORE:
            locals[code[pc++] & 7] = stack[--sp];
            break;
        case OP_INC:
            locals[code[pc++] & 7]++;
            break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_OR: sp--; stack[sp - 1] |= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] <<= stack[sp] & 63; break;
        case OP_SHR: sp--; stack[sp - 1] >>= stack[sp] & 63; break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_DROP: sp--; break;
        case OP_SWAP: {
            uint64_t t = stack[sp - 1];
            stack[sp - 1] = stack[sp - 2];
            stack[sp - 2] = t;
            break;
        }
        case OP_JMP:
            pc = (uint32_t)code[pc] | (uint32_t)code[pc + 1] << 8;
            break;
        case OP_JZ:
            pc = stack[--sp] == 0 ? ((uint32_t)code[pc] | (uint32_t)code[pc + 1] << 8) : pc + 2;
            break;
        case OP_JNZ:
            pc = stack[--sp] != 0 ? ((uint32_t)code[pc] | (uint32_t)code[pc + 1] << 8) : pc + 2;
            break;
        case OP_LOADM:
            stack[sp - 1] = mem[stack[sp - 1] & (MEM_WORDS - 1)];
            break;
        case OP_STOREM:
            sp -= 2;
            mem[stack[sp] & (MEM_WORDS - 1)] = stack[sp + 1];
            break;
        case OP_CALL:
            if (csp == CALL_DEPTH)
                return 0;
            calls[csp++] = pc + 2;
            pc = (uint32_t)code[pc] | (uint32_t)code[pc + 1] << 8;
            break;
        case OP_RET:
            if (csp == 0)
                return 0;
            pc = calls[--csp];
            break;
        default:
            return 0;
        }
        if (sp < 0)
            return 0;
    }
}

uint64_t bench_run(void)
{
    assemble();
    uint64_t result[STACK_DEPTH];
    int depth = 0;
    uint64_t executed = run(result, &depth);
    if (executed == 0 || depth != 3)
        return BENCH_SELF_CHECK_FAILED;
    uint64_t h = mix64(0, executed);
    for (int k = 0; k < depth; k++)
        h = mix64(h, result[k]);
    return h;
}
