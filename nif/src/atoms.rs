//! The atoms the NIF uses.

rustler::atoms! {
    ok,
    error,
    null,
    infinity,
    neg_infinity,
    nan,
    funcref,
    externref,
    host_call,
    // Error reasons.
    trap,
    busy,
    timeout,
    invalid_module,
    bad_argument,
    link_error,
    limit,
    internal_error,
    bad_results,
    exit,
    // The fallback trap code (see `error::trap_atom`); the others are made
    // from the runtime's table of trap codes.
    host_error,
    // Types and descriptions.
    i32,
    i64,
    f32,
    f64,
    function,
    memory,
    table,
    global,
    min,
    max,
    mutable,
    element,
    type_ = "type",
    // Options.
    memory_limit,
    fuel_limit,
    stack_limit,
    // Fault injection (tests).
    nif,
    dirty,
    // Statistics.
    modules,
    instances,
    calls,
    reschedules,
    longest_slice_us,
    longest_slice_cpu_us,
    internal_errors,
    injected_faults,
}
