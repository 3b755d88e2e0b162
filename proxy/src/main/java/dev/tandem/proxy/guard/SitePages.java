package dev.tandem.proxy.guard;

import dev.tandem.conf.ErrorPages;
import dev.tandem.conf.Maintenance;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's error and maintenance pages, read into memory when its config is compiled (off the event loops).
 * {@code tandem check} has made sure the files are there; one that went missing since is logged and leaves
 * Tandem's built-in page in its place rather than refusing a config that was checked. An edited page file is
 * read at the next reload.
 */
public final class SitePages {

    private static final Logger log = LoggerFactory.getLogger(SitePages.class);

    public static final SitePages NONE = new SitePages(Map.of(), null);

    private final Map<Integer, Page> pages;
    private final Page maintenance;
    /** Whether any page replaces an upstream response: most sites have none, and then no status is looked up. */
    private final boolean forUpstream;

    private SitePages(Map<Integer, Page> pages, Page maintenance) {
        this.pages = Map.copyOf(pages);
        this.maintenance = maintenance;
        this.forUpstream = pages.values().stream().anyMatch(Page::upstream);
    }

    /** Reads the pages of a site (blocks: never on an event loop). */
    public static SitePages load(String site, ErrorPages errorPages, Maintenance m) {
        if (errorPages.isEmpty() && m.page().isEmpty()) {
            return NONE;
        }
        Map<Integer, Page> pages = new HashMap<>();
        errorPages.pages().forEach((status, p) -> {
            byte[] body = p.file().isPresent() ? read(site, p.file().get())
                    : p.body().get().getBytes(StandardCharsets.UTF_8);
            if (body != null) {
                pages.put(status, new Page(body, AsciiString.cached(p.contentType()), p.upstream()));
            }
        });
        Page maintenance = null;
        if (m.page().isPresent()) {
            byte[] body = read(site, m.page().get());
            maintenance = body == null ? null : new Page(body, AsciiString.cached(ErrorPages.Page.HTML), false);
        }
        return new SitePages(pages, maintenance);
    }

    private static byte[] read(String site, Path file) {
        try {
            long size = Files.size(file);
            if (size > ErrorPages.MAX_PAGE_BYTES) {
                throw new IOException("larger than 1m");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            log.warn("site {}: page {} cannot be read ({}): the built-in page is served instead", site, file, e.toString());
            return null;
        }
    }

    /** The site's page for {@code status}, or null for the built-in one. */
    public Page page(int status) {
        return pages.get(status);
    }

    /** The page of a maintenance answer: the maintenance page, else the 503 page, else null (built-in). */
    public Page maintenance() {
        return maintenance != null ? maintenance : pages.get(503);
    }

    /** The page that replaces an upstream response with {@code status}, or null when it passes as it is. */
    public Page forUpstream(int status) {
        if (!forUpstream) {
            return null;
        }
        Page p = pages.get(status);
        return p != null && p.upstream() ? p : null;
    }
}
