package dev.tandem.node.wiring;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;

/**
 * What the process and its JVM are doing, through Micrometer's own binders (their names are the ones every
 * JVM dashboard already knows: {@code jvm_memory_used_bytes}, {@code jvm_gc_pause_seconds},
 * {@code process_open_fds}, {@code process_start_time_seconds}...), and {@code tandem_build_info}.
 */
final class ProcessMeters implements AutoCloseable {

    /**
     * Two of the binders' meters get names Prometheus's own rules refuse ({@code promtool check metrics}):
     * {@code process_cpu_time_ns_total} (a unit abbreviated, and not seconds) is left out, since
     * {@code process_cpu_usage} says the same; {@code system_cpu_count} (a gauge named like a histogram's count)
     * is published as {@code system_cpu_processors}.
     */
    static final MeterFilter PROMETHEUS_NAMES = new MeterFilter() {
        @Override
        public Meter.Id map(Meter.Id id) {
            return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.processors") : id;
        }

        @Override
        public MeterFilterReply accept(Meter.Id id) {
            return id.getName().equals("process.cpu.time")
                    ? MeterFilterReply.DENY
                    : MeterFilterReply.NEUTRAL;
        }
    };

    private final JvmGcMetrics gc = new JvmGcMetrics();

    private ProcessMeters() {
    }

    /** Binds them all to {@code registry}; {@link #close()} stops listening for GC notifications. */
    static ProcessMeters bind(MeterRegistry registry, String version) {
        ProcessMeters m = new ProcessMeters();
        registry.config().meterFilter(PROMETHEUS_NAMES);
        new JvmMemoryMetrics().bindTo(registry);
        m.gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        // The usual info metric: always 1, its labels say what runs (join on it to split a graph by version).
        Gauge.builder("tandem.build.info", () -> 1)
                .description("Always 1; the labels say which Tandem build and which Java runs")
                .tag("version", version)
                .tag("java_version", Runtime.version().toString())
                .tag("java_vendor", String.valueOf(System.getProperty("java.vendor")))
                .register(registry);
        return m;
    }

    @Override
    public void close() {
        gc.close();
    }
}
