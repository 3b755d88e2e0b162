package dev.tandem.conf;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Serving files from disk before (or instead of) the upstream.
 *
 * @param root     the directory files are served from; nothing outside it is ever served
 * @param match    paths that try the disk; empty means every GET/HEAD tries it
 * @param fallback a missing file goes to the upstream (true) or is a 404 (false)
 */
public record StaticConfig(Path root, Optional<Pattern> match, boolean fallback) {
}
