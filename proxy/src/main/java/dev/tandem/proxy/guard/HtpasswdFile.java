package dev.tandem.proxy.guard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An htpasswd file as it is on disk now: read again when its size, modification time or inode change, by
 * {@link Htpasswds}' own thread. An edit that does not parse (a non-bcrypt entry, a half-written line) or a
 * file that disappears is held: the version before it stays in force, and a WARN says why, until an edit
 * that parses arrives. Requests read {@link #current()} with one volatile read.
 */
public final class HtpasswdFile {

    private static final Logger log = LoggerFactory.getLogger(HtpasswdFile.class);
    /** No user at all: what a file that never parsed admits. */
    private static final Htpasswd NOBODY = Htpasswd.parse(List.of()).htpasswd();

    private final Path path;
    private volatile Htpasswd current = NOBODY;
    /** What the last look at the file saw (size, time, inode), or a problem; compared to see a change. */
    private Object seen;

    HtpasswdFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    public Htpasswd current() {
        return current;
    }

    /** Reads the file again if it changed since the last look. Called on one thread at a time. */
    synchronized void refresh() {
        Object now;
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            now = List.of(a.size(), a.lastModifiedTime(), String.valueOf(a.fileKey()));
        } catch (IOException e) {
            now = "unreadable: " + e;
        }
        if (Objects.equals(now, seen)) {
            return;
        }
        boolean first = seen == null;
        seen = now;
        if (now instanceof String problem) {
            log.warn("htpasswd {}: {}; the version read before stays in force ({} user(s))", path, problem,
                    current.users());
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            seen = "unreadable: " + e;
            log.warn("htpasswd {}: cannot read ({}); the version read before stays in force", path, e.toString());
            return;
        }
        Htpasswd.Parse parse = Htpasswd.parse(lines);
        if (parse.htpasswd() == null) {
            log.warn("htpasswd {}: {}; the version read before stays in force ({} user(s))", path,
                    String.join("; ", parse.problems()), current.users());
            return;
        }
        current = parse.htpasswd();
        if (!first) {
            log.info("htpasswd {}: read again, {} user(s)", path, current.users());
        }
    }
}
