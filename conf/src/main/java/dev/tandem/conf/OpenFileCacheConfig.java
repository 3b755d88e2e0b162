package dev.tandem.conf;

import java.time.Duration;

/**
 * How long a site's static files stay open and how many of them do, like nginx's {@code open_file_cache max=}
 * and {@code open_file_cache_valid}.
 *
 * @param maxEntries paths remembered at most (found files, directories and misses alike); each found file
 *                   holds one open file descriptor, plus one per precompressed sibling
 * @param valid      how long a lookup is trusted: a file changed, created or deleted on disk is seen by
 *                   requests that start at most this long after the change
 * @param inlineMax  files up to this many bytes are read into memory (off the heap) when looked up and
 *                   sent with their response head in one write, instead of with sendfile; 0 sends every
 *                   file with sendfile
 */
public record OpenFileCacheConfig(int maxEntries, Duration valid, long inlineMax) {

    public static final OpenFileCacheConfig DEFAULT = new OpenFileCacheConfig(Defaults.OPEN_FILE_CACHE_MAX_ENTRIES,
            Defaults.OPEN_FILE_CACHE_VALID, Defaults.OPEN_FILE_CACHE_INLINE_MAX);
}
