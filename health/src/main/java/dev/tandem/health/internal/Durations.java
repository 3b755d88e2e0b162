package dev.tandem.health.internal;

import java.time.Duration;

/** Durations in the words of the config file: {@code 2s}, {@code 150ms}. */
final class Durations {

    private Durations() {
    }

    static String text(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 && ms > 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
