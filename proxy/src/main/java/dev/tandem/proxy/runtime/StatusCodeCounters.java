package dev.tandem.proxy.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One counter per exact status code (100-599) under a {@code code} label, registered the first time the code
 * is seen, so that a scrape lists only the codes that happened. After that first time a count is an array
 * read and an increment, from any event loop.
 */
public final class StatusCodeCounters {

    private static final int LOWEST = 100;
    private static final int HIGHEST = 599;

    private final MeterRegistry registry;
    private final String name;
    private final String description;
    private final Tags tags;
    private final AtomicReferenceArray<Counter> byCode = new AtomicReferenceArray<>(HIGHEST - LOWEST + 1);

    public StatusCodeCounters(MeterRegistry registry, String name, String description, Tags tags) {
        this.registry = registry;
        this.name = name;
        this.description = description;
        this.tags = tags;
    }

    /** Counts one response with {@code status}; a status outside 100-599 is not counted. */
    public void increment(int status) {
        if (status < LOWEST || status > HIGHEST) {
            return;
        }
        Counter c = byCode.get(status - LOWEST);
        if (c == null) {
            // Registering twice is harmless: the registry hands back the same counter.
            c = Counter.builder(name).description(description).tags(tags).tag("code", Integer.toString(status))
                    .register(registry);
            byCode.set(status - LOWEST, c);
        }
        c.increment();
    }

    /** Unregisters every counter registered so far. */
    public void remove() {
        for (int i = 0; i < byCode.length(); i++) {
            Counter c = byCode.get(i);
            if (c != null) {
                registry.remove(c);
            }
        }
    }
}
