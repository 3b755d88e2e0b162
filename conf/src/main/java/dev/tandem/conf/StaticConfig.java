package dev.tandem.conf;

import com.google.re2j.Pattern;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Serving files from disk before (or instead of) the upstream.
 *
 * @param root          the directory files are served from; nothing outside it is ever served
 * @param match         paths that try the disk (RE2, linear time); empty means every GET/HEAD tries it
 * @param fallback      a missing file goes to the upstream (true) or is a 404 (false)
 * @param index         file names tried, in order, for a path naming a directory
 * @param hidden        serve files and directories whose name starts with a dot ({@code .git}, {@code .env})
 * @param cacheControl  the {@code Cache-Control} header of files served, when set
 * @param mimeTypes     file extension (lowercase, without the dot) to {@code Content-Type}, over the built-in table
 * @param precompressed serve {@code file.br} / {@code file.gz} next to {@code file} to clients that accept them
 * @param openFileCache how many files stay open, and for how long a lookup is trusted
 */
public record StaticConfig(
        Path root,
        Optional<Pattern> match,
        boolean fallback,
        List<String> index,
        boolean hidden,
        Optional<String> cacheControl,
        Map<String, String> mimeTypes,
        boolean precompressed,
        OpenFileCacheConfig openFileCache) {

    public StaticConfig {
        index = List.copyOf(index);
        mimeTypes = Map.copyOf(mimeTypes);
    }

    /** Root, match and fallback as given, everything else at its default. */
    public StaticConfig(Path root, Optional<Pattern> match, boolean fallback) {
        this(root, match, fallback, Defaults.INDEX, Defaults.HIDDEN, Optional.empty(), Map.of(), Defaults.PRECOMPRESSED,
                OpenFileCacheConfig.DEFAULT);
    }
}
