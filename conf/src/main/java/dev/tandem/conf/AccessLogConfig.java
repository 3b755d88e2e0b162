package dev.tandem.conf;

import java.nio.file.Path;
import java.util.Optional;

/** @param path the file appended to; empty means standard output */
public record AccessLogConfig(Optional<Path> path) {
}
