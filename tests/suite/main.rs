//! hetero's test suite, in one binary: every kernel on every backend (written once, instantiated per
//! backend), the dispatcher, the GPU against the CPU, the command line, and this version's pinned results.
//!
//! A test that needs a GPU is reported as **ignored** where no adapter can be opened, with a line saying
//! why, never as passed; with `HETERO_REQUIRE_GPU=1` (as in CI, on the software Vulkan driver) it runs
//! anyway and fails. A test that needs 64-bit float shaders is reported as ignored, with the adapter's
//! name, on an adapter without them. The usual test-harness flags work (`cargo test --release -- NAME`, `--list`,
//! `--ignored`, `--test-threads N`).

mod backends;
mod cli;
mod cross_backend;
mod dispatch;
mod gpu;
mod integrate;
mod pinned;
mod random_expr;
mod reliability;
mod saved;
mod wgsl;

use libtest_mimic::{Arguments, Completion, Trial};

/// What a test needs of the machine.
#[derive(Clone, Copy, PartialEq)]
enum Needs {
    Cpu,
    Gpu,
    /// An adapter with 64-bit float shaders: ignored, saying so, on one without them (also in CI, whose
    /// software adapter has none).
    GpuF64,
}

/// `module: name, …` as (`"module::name"`, the function, what it needs).
macro_rules! cases {
    ($needs:expr => $module:ident: $($name:ident),* $(,)?) => {
        [$((concat!(stringify!($module), "::", stringify!($name)), $module::$name as fn(), $needs)),*]
    };
}

fn main() {
    let arguments = Arguments::from_args();
    let mut cases: Vec<(&'static str, fn(), Needs)> = Vec::new();
    cases.extend(cases!(Needs::Cpu => cross_backend:
        monte_carlo_pi_hit_counts_are_identical, simpson_is_bit_identical_for_every_integrand,
        simpson_of_a_closure_is_bit_identical, leibniz_is_bit_identical,
        every_backend_combines_in_the_same_fixed_tree, non_exact_partials_are_still_reproducible,
        sub_ranges_combine_to_the_whole, ranges_crossing_the_high_counter_word_match_the_definition,
        monte_carlo_pi_is_within_five_standard_errors, simpson_accuracy,
        a_panicking_worker_is_an_error_not_a_hang, bad_ranges_and_thread_counts_are_errors,
        random_monte_carlo_problems_agree, random_simpson_problems_agree, random_leibniz_problems_agree,
        random_expressions_agree,
    ));
    cases.extend(cases!(Needs::Cpu => dispatch:
        chunked_runs_build_the_same_tree_and_report_progress, stopped_runs_equal_the_problem_they_completed,
        a_run_stopped_before_any_block_is_an_error, auto_picks_the_lowest_prediction_and_never_probes_a_known_model,
        auto_calibrates_a_kernel_it_has_not_met, one_calibration_predicts_every_expression,
        compare_checks_every_run_against_serial,
        validation_and_compare_catch_a_backend_that_disagrees, pi_to_error_grows_the_same_stream,
        simpson_to_error_stops_when_rounding_takes_over, simpson_to_error_ends_a_target_out_of_reach, simpson_to_error_is_not_fooled_by_an_unresolved_oscillation,
    ));
    cases.extend(cases!(Needs::Gpu => gpu:
        monte_carlo_hit_counts_equal_the_cpu, monte_carlo_ranges_across_the_high_counter_word_equal_the_cpu,
        gpu_and_cpu_sub_ranges_combine_to_the_whole, leibniz_agrees_within_the_bound_of_each_precision,
        simpson_agrees_within_the_bound_of_each_precision,
        expressions_agree_within_their_derived_bound, monte_carlo_integrals_agree_within_their_derived_bound,
        random_expressions_on_the_gpu, composed_math_is_within_its_ulps, a_second_run_compiles_nothing,
        gpu_errors_are_values_not_panics, hybrid_equals_the_cpu, chunked_gpu_runs_equal_one_pass,
        auto_and_compare_include_the_gpu,
    ));
    cases.extend(cases!(Needs::GpuF64 => gpu:
        simpson_f64_meets_one_part_in_a_trillion, f64_math_is_within_two_ulp_of_the_cpu,
    ));
    cases.extend(cases!(Needs::Cpu => cli:
        pi_json_matches_the_library_on_every_backend, seeds_span_all_of_u64, simpson_json_has_its_fields,
        expressions_from_the_command_line, montecarlo_from_the_command_line,
        simpson_takes_negative_bounds_pi_multiples_and_parameters, odd_intervals_are_rounded_up_and_reported,
        leibniz_json_has_its_fields, human_output_names_value_error_backend_time_and_throughput,
        bad_input_is_one_line_and_exit_code_two, help_and_version_succeed,
        devices_lists_adapters_with_their_features, no_adapter_is_one_line_and_a_failure,
        auto_is_the_default_and_explains_its_choice,
        a_corrupt_or_stale_cost_model_is_rebuilt_not_fatal, compare_runs_every_cpu_backend_and_agrees,
        validate_checks_a_sample_of_blocks, target_error_reaches_the_target_and_equals_a_fixed_run,
        stamps_name_the_problem_and_the_result,
        calibrate_measures_every_cpu_backend, bench_writes_every_sweep_as_csv_and_svg,
        bench_reports_an_unwritable_directory_in_one_line, hetero_simd_picks_a_narrower_path_with_the_same_bits,
    ));
    #[cfg(unix)]
    cases.extend(cases!(Needs::Cpu => cli: ctrl_c_prints_the_partial_result_and_exits_130));
    #[cfg(not(feature = "mpi"))]
    cases.extend(cases!(Needs::Cpu => cli: distributed_without_mpi_says_how_to_get_it));
    cases.extend(cases!(Needs::Gpu => cli:
        gpu_pi_equals_serial_and_reports_gpu_timing, gpu_floats_report_their_precision_and_bound,
        closures_and_far_trig_arguments_are_refused_on_the_gpu, gpu_compare_and_hybrid_agree_with_the_cpu,
    ));
    cases.extend(cases!(Needs::Cpu => reliability:
        closed_or_full_streams_lose_no_result_silently, negative_values_are_values,
        overflow_is_an_answer_or_an_error_never_infinity, targets_are_met_or_reported_as_missed,
        auto_falls_back_to_the_cpu_when_the_gpu_is_gone, simultaneous_first_runs_merge_their_costs,
        random_argument_vectors_fail_cleanly,
    ));
    cases.extend(cases!(Needs::Cpu => reliability: unknown_adapters_are_bad_input));
    #[cfg(unix)]
    cases.extend(cases!(Needs::Cpu => reliability:
        sigterm_prints_the_partial_result_and_exits_143, a_signal_during_calibration_or_compare_stops_cleanly,
        an_interrupted_simpson_run_keeps_its_request,
    ));
    #[cfg(unix)]
    cases.extend(cases!(Needs::Gpu => reliability: sigterm_during_a_gpu_compilation_ends_the_run_at_once));
    cases.extend(cases!(Needs::Cpu => saved:
        killed_pi_runs_resume_to_the_same_stamp, killed_simpson_runs_resume_to_the_same_stamp,
        checkpoint_files_that_do_not_fit_are_one_line, shards_merge_to_the_single_run,
        merge_refuses_sets_that_do_not_fit, a_second_run_on_one_checkpoint_is_refused_at_once,
    ));
    #[cfg(unix)]
    cases.extend(cases!(Needs::Cpu => saved: sigterm_saves_the_checkpoint_and_the_same_command_resumes));
    cases.extend(cases!(Needs::Gpu => saved: gpu_shards_merge_with_cpu_shards));
    cases.extend(cases!(Needs::Cpu => integrate:
        fixed_sizes_are_the_shorthands_runs, tolerances_are_met_with_the_same_bits_on_every_cpu_backend,
        budgets_and_time_limits_end_runs_that_max_evals_reproduces, bad_requests_are_bad_input,
        integrate_from_the_command_line, rust_functions_give_the_bits_of_the_same_expression,
        infinite_ranges_are_mapped_with_the_same_bits_on_every_cpu_backend,
        vector_components_are_scalar_runs_of_one_size,
        vector_errors_name_their_component_and_stops_keep_what_was_done, a_zero_spread_is_not_an_error_of_zero,
        simpson_never_states_an_error_below_its_rounding, simpson_trusts_a_slower_order_it_sees_settled,
        estimates_outside_their_regime_are_not_trusted, hostile_integrands_are_answered_honestly_or_refused, surfaces_of_growth_in_a_box_are_found,
    ));
    cases.extend(cases!(Needs::Cpu => wgsl: every_wgsl_program_validates));
    cases.extend(cases!(Needs::Cpu => pinned:
        simpson_results_are_pinned, leibniz_results_are_pinned, monte_carlo_hit_counts_are_pinned,
    ));

    let mut trials: Vec<Trial> = cases
        .into_iter()
        .map(|(name, test, needs)| trial(name.to_owned(), needs, test))
        .collect();
    for (name, test, backend) in backends::cases() {
        let needs = if backend.uses_gpu() { Needs::Gpu } else { Needs::Cpu };
        trials.push(trial(name, needs, move || test(backend)));
    }
    libtest_mimic::run(&arguments, trials).exit();
}

/// A test, which libtest-mimic fails if it panics. One that needs a GPU first opens the shared device:
/// without one it is reported as ignored, with the reason, unless `HETERO_REQUIRE_GPU=1`.
fn trial(name: String, needs: Needs, test: impl FnOnce() + Send + 'static) -> Trial {
    Trial::ignorable_test(name, move || {
        if needs != Needs::Cpu
            && let Err(why) = gpu::shared()
            && !std::env::var("HETERO_REQUIRE_GPU").is_ok_and(|v| v == "1")
        {
            let why = why.split(';').next().unwrap_or(&why);
            return Ok(Completion::ignored_with(format!(
                "{why}; HETERO_REQUIRE_GPU=1 fails instead"
            )));
        }
        if needs == Needs::GpuF64
            && gpu::shared().is_ok()
            && let Some(why) = gpu::lacks_f64()
        {
            return Ok(Completion::ignored_with(why));
        }
        test();
        Ok(Completion::Completed)
    })
}
