//! One run, as JSON or text.

use super::*;

/// One run as JSON: the library's fields ([`hetero::report::run_json`]) and what the context adds.
fn run_json<K: Text>(kernel: &K, run: &Run<K::Output>, context: &Context) -> Value {
    let mut object = hetero::report::run_json(kernel, run);
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    if let Some(ranks) = &context.ranks {
        map.insert("ranks".to_owned(), json!(ranks.len()));
        map.insert("per_rank".to_owned(), json!(ranks));
    }
    if let Some(saved) = &context.saved {
        map.insert("parts".to_owned(), json!(saved.parts));
        if let Some(path) = &saved.checkpoint {
            map.insert("checkpoint".to_owned(), json!(path));
            map.insert("resumed_blocks".to_owned(), json!(saved.resumed));
        }
        if let Some(files) = saved.merged {
            map.insert("merged_files".to_owned(), json!(files));
            map.insert("backend".to_owned(), json!(backends_of(&saved.parts)));
            map.insert("threads".to_owned(), json!(saved.parts.iter().map(|p| p.threads).max()));
        }
    }
    if let Some(explanation) = &context.explanation {
        map.insert("explain".to_owned(), json!(explanation));
    }
    if let Some(validation) = &context.validation {
        map.insert(
            "validation".to_owned(),
            json!({
                "agree": validation.agree(),
                "backend": validation.backend,
                "against": validation.against,
                "blocks": validation.blocks.len(),
                "largest_difference": validation.largest_difference,
                "failures": validation.failures.iter().map(|(b, v)| json!({"block": b, "verdict": v, "why": v.to_string()})).collect::<Vec<_>>(),
            }),
        );
    }
    if let Some(why) = &context.doubt {
        map.insert("trusted".to_owned(), json!(false));
        map.insert("untrusted_because".to_owned(), json!(why));
    }
    if let Some(target) = context.target_error {
        map.insert("target_error".to_owned(), json!(target));
        if let Some((reached, why)) = &context.target_reached {
            map.insert("target_reached".to_owned(), json!(reached));
            if let Some(why) = why {
                map.insert("target_missed_because".to_owned(), json!(why));
            }
        }
    }
    object
}

/// One run, as JSON or text.
pub fn single<K: Text>(kernel: &K, run: &Run<K::Output>, context: &Context, as_json: bool) -> String {
    if as_json {
        return format!("{}\n", run_json(kernel, run, context));
    }
    let mut out = String::new();
    if let Some(explanation) = &context.explanation {
        let _ = writeln!(out, "{explanation}");
    }
    K::text(&run.output, &mut out);
    if let Some(target) = context.target_error {
        let outcome = match &context.target_reached {
            Some((false, _)) => "NOT reached; best run".to_owned(),
            _ => "reached".to_owned(),
        };
        line(
            &mut out,
            "target error",
            format!("{target:.3e}, {outcome} with {} {}", run.elements, K::UNIT),
        );
    }
    bound_line(&mut out, run.float_precision().and_then(|p| kernel.bound(p)));
    if let Some(why) = &context.doubt {
        line(&mut out, "not trusted", why.clone());
    }
    if let Some(v) = &context.validation {
        let verdict = if v.agree() {
            format!(
                "{} sampled blocks agree with {} (largest difference {:.3e})",
                v.blocks.len(),
                v.against,
                v.largest_difference
            )
        } else {
            let (block, first) = &v.failures[0];
            format!(
                "FAILED: {} of {} sampled blocks differ from {}; block {block}: {first}",
                v.failures.len(),
                v.blocks.len(),
                v.against
            )
        };
        line(&mut out, "validation", verdict);
    }
    if run.interrupted {
        line(
            &mut out,
            "interrupted",
            format!(
                "blocks 0..{} of {} completed; the result covers them",
                run.completed, run.blocks
            ),
        );
    }
    if let Some(saved) = &context.saved {
        saved_lines(&mut out, saved, run.blocks);
    }
    footer(&mut out, run, context, K::UNIT);
    line(&mut out, "stamp", stamp(kernel, &run.output));
    out
}

fn footer<T>(out: &mut String, run: &Run<T>, context: &Context, unit: &str) {
    if let Some(ranks) = &context.ranks {
        let shares: Vec<String> = ranks
            .iter()
            .map(|r| {
                format!(
                    "{}: blocks {}..{} in {:.3} s",
                    r.rank, r.blocks.0, r.blocks.1, r.seconds
                )
            })
            .collect();
        line(out, "mpi ranks", format!("{} ({})", ranks.len(), shares.join("; ")));
    }
    let chosen = if context.auto { " (chosen by auto)" } else { "" };
    match &run.gpu {
        Some(gpu) => {
            let precision = gpu.precision.map_or("", |p| p.name());
            let place = match &run.split {
                Some(_) => format!(
                    "hybrid, {} ({}) + {} CPU threads, precision {precision}{chosen}",
                    gpu.adapter, gpu.api, run.threads
                ),
                None => format!("gpu, {} ({}), precision {precision}{chosen}", gpu.adapter, gpu.api),
            };
            line(out, "backend", place);
            if let Some(split) = &run.split {
                let mut shares = format!(
                    "GPU {} blocks in {} ranges ({:.1}%), CPU {} blocks in {} ranges",
                    split.gpu_blocks,
                    split.gpu_chunks,
                    100.0 * split.gpu_fraction(),
                    split.cpu_blocks,
                    split.cpu_chunks
                );
                if let Some(error) = &split.gpu_error {
                    let _ = write!(shares, "; the GPU failed ({error}) and the CPU finished");
                }
                line(out, "split", shares);
            }
            line(out, "time", format!("{:.6} s", run.elapsed.as_secs_f64()));
            let kernel = gpu
                .kernel_seconds
                .map_or("no timestamps".to_owned(), |k| format!("{k:.6} s"));
            line(
                out,
                "gpu time",
                format!(
                    "kernel {kernel}; setup {:.6} s, compile {:.6} s, upload {:.6} s, execute {:.6} s, \
                     readback {:.6} s (host {:.6} s), {} dispatches",
                    gpu.setup_seconds,
                    gpu.compile_seconds,
                    gpu.upload_seconds,
                    gpu.execute_seconds,
                    gpu.readback_seconds,
                    gpu.host_seconds,
                    gpu.dispatches
                ),
            );
        }
        None => {
            let threads = if run.threads == 1 {
                "1 thread".to_owned()
            } else {
                format!("{} threads", run.threads)
            };
            let simd = hetero::simd_level().name();
            line(out, "backend", format!("{}, {threads}, {simd}{chosen}", run.backend));
            line(out, "time", format!("{:.6} s", run.elapsed.as_secs_f64()));
        }
    }
    line(out, "throughput", format!("{} {unit}/s", si(run.throughput())));
}

/// The distinct backends of a result's parts, in order of first use, joined with `+`.
fn backends_of(parts: &[hetero::checkpoint::Part]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for part in parts {
        if !names.contains(&part.backend.as_str()) {
            names.push(&part.backend);
        }
    }
    names.join("+")
}

/// Where a saved result came from: its checkpoint, the files merged, each part.
fn saved_lines(out: &mut String, saved: &Saved, blocks: u64) {
    if let Some(path) = &saved.checkpoint {
        let resumed = match saved.resumed {
            0 => String::new(),
            done => format!(" (resumed after blocks 0..{done} of {blocks})"),
        };
        line(out, "checkpoint", format!("{path}{resumed}"));
    }
    if let Some(files) = saved.merged {
        line(out, "merged", format!("{files} files, {}", backends_of(&saved.parts)));
    }
    if saved.parts.len() > 1 || saved.merged.is_some() {
        let parts: Vec<String> = saved
            .parts
            .iter()
            .map(|p| {
                format!(
                    "{} ({} threads) blocks {}..{} in {:.3} s",
                    p.backend, p.threads, p.blocks[0], p.blocks[1], p.seconds
                )
            })
            .collect();
        line(out, "parts", parts.join("; "));
    }
}
