package dev.tandem.conf;

import java.time.Duration;

/**
 * Passive failure accounting, as nginx's {@code max_fails}/{@code fail_timeout}: {@code maxFails} failures
 * within {@code failTimeout} take a server out of rotation for {@code failTimeout}. {@code maxFails = 0}
 * disables it.
 */
public record PassiveConfig(int maxFails, Duration failTimeout) {
}
