package dev.tandem.conf;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A site's own pages for error statuses (nginx's {@code error_page}). A page replaces the body of Tandem's
 * own answer with that status (a 404 from disk, a 502/503/504 when no server answers, a 401, a 403, ...); a
 * page marked {@code upstream} also replaces the body of the upstream's responses with that status
 * (nginx's {@code proxy_intercept_errors}). The status stays the one answered.
 *
 * @param pages by status (400-599)
 */
public record ErrorPages(Map<Integer, Page> pages) {

    /** No pages of the site's own: Tandem's built-in ones. */
    public static final ErrorPages NONE = new ErrorPages(Map.of());

    /** Page files are read whole into memory: they are small by nature, and this bounds a mistake. */
    public static final long MAX_PAGE_BYTES = 1024 * 1024;

    public ErrorPages {
        pages = Map.copyOf(new TreeMap<>(pages));
    }

    /** The page for {@code status}, if the site has one. */
    public Optional<Page> page(int status) {
        return Optional.ofNullable(pages.get(status));
    }

    /**
     * These pages (a route's) over {@code outer} (its site's), status by status: a route that has its own 404
     * page still answers a 503 with the site's. (nginx drops every outer {@code error_page} in a
     * {@code location} that has one; keeping the site's is what an operator who writes one page means.)
     */
    public ErrorPages over(ErrorPages outer) {
        if (pages.isEmpty()) {
            return outer;
        }
        Map<Integer, Page> merged = new TreeMap<>(outer.pages);
        merged.putAll(pages);
        return new ErrorPages(merged);
    }

    public boolean isEmpty() {
        return pages.isEmpty();
    }

    /**
     * One page: a file (read when the config is loaded) or an inline body.
     *
     * @param file        the file whose content is the body, when given
     * @param body        the body as written in the config, when no file is given
     * @param contentType the page's {@code Content-Type}
     * @param upstream    the page also replaces the upstream's responses with this status
     */
    public record Page(Optional<Path> file, Optional<String> body, String contentType, boolean upstream) {

        public static final String HTML = "text/html; charset=utf-8";

        public Page {
            if (file.isPresent() == body.isPresent()) {
                throw new IllegalArgumentException("a page is a file or a body");
            }
        }

        public static Page file(Path file) {
            return new Page(Optional.of(file), Optional.empty(), HTML, false);
        }
    }
}
