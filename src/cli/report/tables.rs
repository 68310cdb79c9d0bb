//! The adapters `hetero devices` lists and the cost model `hetero calibrate` measured.

use super::*;

pub fn devices(adapters: &[AdapterSummary], as_json: bool) -> String {
    if as_json {
        return format!("{}\n", json!({ "adapters": adapters }));
    }
    if adapters.is_empty() {
        return format!("{}\n", hetero::gpu::NO_ADAPTER_HELP);
    }
    let mut out = String::new();
    for a in adapters {
        let _ = writeln!(out, "[{}] {} ({}, {})", a.index, a.name, a.backend, a.device_type);
        line(&mut out, "driver", a.driver.clone());
        let yes = |b: bool| if b { "yes" } else { "no" };
        line(
            &mut out,
            "features",
            format!(
                "f64 {}, int64 {}, timestamps {}",
                yes(a.shader_f64),
                yes(a.shader_int64),
                yes(a.timestamp_query)
            ),
        );
        line(
            &mut out,
            "limits",
            format!(
                "{} workgroups per dimension, {} invocations per workgroup, {} MiB per storage binding, {} MiB per buffer",
                a.max_workgroups_per_dimension,
                a.max_invocations_per_workgroup,
                a.max_storage_buffer_binding_size >> 20,
                a.max_buffer_size >> 20
            ),
        );
    }
    out
}

/// The cost model as a table, or JSON.
pub fn calibration(
    model: &CostModel,
    rows: &[(String, Backend, usize)],
    path: Option<&std::path::Path>,
    as_json: bool,
) -> String {
    if as_json {
        let entries: Vec<Value> = rows
            .iter()
            .filter_map(|(kernel, backend, threads)| {
                let cost = model.get(kernel, *backend, *threads)?;
                Some(json!({ "kernel": kernel, "backend": backend, "threads": threads, "cost": cost }))
            })
            .collect();
        return format!("{}\n", json!({ "path": path, "costs": entries }));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {:<8} {:<8} {:>7} {:>13} {:>15} {:>13}",
        "kernel", "backend", "threads", "overhead", "per block", "first use"
    );
    for (kernel, backend, threads) in rows {
        if let Some(cost) = model.get(kernel, *backend, *threads) {
            let _ = writeln!(
                out,
                "  {:<8} {:<8} {:>7} {:>10.3} ms {:>12.3} µs {:>10.3} ms",
                kernel,
                backend.name(),
                threads,
                cost.overhead * 1e3,
                cost.per_block * 1e6,
                cost.first_use * 1e3
            );
        }
    }
    match path {
        Some(path) => {
            let _ = writeln!(out, "  saved to {}", path.display());
        }
        None => {
            let _ = writeln!(out, "  (no cache directory: not saved)");
        }
    }
    out
}
