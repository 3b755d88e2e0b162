package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The mirror's table on disk ({@code state_dir/state}), so that after a restart a node still knows which
 * version of each path it has: without it every file would look like a new local edit. Text, one line per
 * path or conflict, fields separated by tabs, names escaped ({@code %XX} for tab, newline, CR and {@code %}),
 * written atomically like the mirrored files themselves.
 *
 * <p>A crash between a file's rename and the next write of this file loses nothing: the next scan finds the
 * file's content differs from the recorded version and makes it a local version; peers holding the same
 * content treat the two as one (same content, no conflict).
 */
public final class StateFile {

    /**
     * Version 2 adds to each record a link's target, the owner and the group (after the size), and to each stat
     * the owner's and group's ids and whether it is a link's. A version 1 file (written before) is read as files
     * of unknown owners.
     */
    static final String HEADER = "tandem-mirror-state 2";
    static final String HEADER_1 = "tandem-mirror-state 1";

    private final Path file;

    public StateFile(Path dir) {
        this.file = dir.resolve("state");
    }

    public Path path() {
        return file;
    }

    /** Writes {@code table} (creating the directory if needed). */
    public void save(MirrorTable table) throws IOException {
        write(render(table));
    }

    /** Writes what {@link #render} made (creating the directory if needed), atomically and durably. */
    public void write(byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        FileStore.writeAtomically(file, content, 0600);
    }

    /** The state file's content for {@code table}. */
    public byte[] render(MirrorTable table) {
        StringBuilder b = new StringBuilder(64 + table.size() * 200);
        b.append(HEADER).append('\n');
        for (MirrorTable.Local l : table.all()) {
            b.append("E\t");
            entry(b, l.entry());
            b.append('\t');
            FileStore.Stat s = l.stat();
            if (s == null) {
                b.append('-');
            } else {
                b.append(s.size()).append(',').append(s.mtimeNanos()).append(',').append(s.ctimeNanos()).append(',')
                        .append(s.inode()).append(',').append(Integer.toOctalString(s.mode())).append(',')
                        .append(s.uid()).append(',').append(s.gid()).append(',').append(s.link() ? 'l' : 'f');
            }
            b.append('\t').append(l.hashedAt()).append('\n');
        }
        for (Conflict c : table.conflicts()) {
            b.append("C\t");
            entry(b, c.loser());
            b.append('\t').append(esc(c.keptAs().toString())).append('\t').append(esc(c.winner())).append('\t')
                    .append(c.at()).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads the table back; an absent file is an empty table.
     *
     * @throws IOException when the file cannot be read or is not a state file (its line number in the message)
     */
    public MirrorTable load() throws IOException {
        MirrorTable table = new MirrorTable();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return table;
        }
        if (lines.isEmpty() || !lines.get(0).equals(HEADER) && !lines.get(0).equals(HEADER_1)) {
            throw new IOException(file + ":1: not a mirror state file (expected: " + HEADER + ")");
        }
        // fields after the entry's: a version 1 record has no link, owner and group
        int extra = lines.get(0).equals(HEADER_1) ? 0 : 3;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                continue;
            }
            try {
                String[] f = line.split("\t", -1);
                if (f[0].equals("E") && f.length == 12 + extra) {
                    Entry e = entry(f, extra);
                    FileStore.Stat stat = null;
                    if (!f[10 + extra].equals("-")) {
                        String[] st = f[10 + extra].split(",");
                        stat = st.length == 5
                                ? new FileStore.Stat(Long.parseLong(st[0]), Long.parseLong(st[1]), Long.parseLong(st[2]),
                                        Long.parseLong(st[3]), Integer.parseInt(st[4], 8))
                                : new FileStore.Stat(Long.parseLong(st[0]), Long.parseLong(st[1]), Long.parseLong(st[2]),
                                        Long.parseLong(st[3]), Integer.parseInt(st[4], 8), Integer.parseInt(st[5]),
                                        Integer.parseInt(st[6]), st[7].equals("l"));
                    }
                    table.put(e, stat, Long.parseLong(f[11 + extra]));
                } else if (f[0].equals("C") && f.length == 13 + extra) {
                    Entry loser = entry(f, extra);
                    table.addConflict(new Conflict(loser.key(), Path.of(unesc(f[10 + extra])), loser,
                            unesc(f[11 + extra]), Long.parseLong(f[12 + extra])));
                } else {
                    throw new IllegalArgumentException("unknown record");
                }
            } catch (RuntimeException e) {
                throw new IOException(file + ":" + (i + 1) + ": " + e.getMessage() + " (expected: a mirror state record)", e);
            }
        }
        return table;
    }

    /**
     * Fields 1-12: root, rel, version, origin, changedAt, vector, hash (- when deleted), mode, size, link
     * ({@code -} for a file or a tombstone, else {@code L} and the target), owner, group.
     */
    private static void entry(StringBuilder b, Entry e) {
        b.append(esc(e.key().root())).append('\t').append(esc(e.key().rel())).append('\t').append(e.version())
                .append('\t').append(esc(e.origin())).append('\t').append(e.changedAt()).append('\t');
        vector(b, e.vector());
        b.append('\t').append(e.deleted() ? "-" : e.hash()).append('\t').append(Integer.toOctalString(e.mode()))
                .append('\t').append(e.size()).append('\t').append(e.isLink() ? "L" + esc(e.link()) : "-")
                .append('\t').append(esc(e.owner())).append('\t').append(esc(e.group()));
    }

    /** The entry of fields 1-9, and with {@code extra} 3, fields 10-12. */
    private static Entry entry(String[] f, int extra) {
        EntryKey key = new EntryKey(unesc(f[1]), unesc(f[2]));
        boolean deleted = f[7].equals("-");
        String link = extra == 0 || f[10].equals("-") ? null : unesc(f[10].substring(1));
        return new Entry(key, Long.parseLong(f[3]), unesc(f[4]), parseVector(f[6]), Long.parseLong(f[5]),
                deleted ? "" : f[7], deleted, Integer.parseInt(f[8], 8), Long.parseLong(f[9]), link,
                extra == 0 ? "" : unesc(f[11]), extra == 0 ? "" : unesc(f[12]));
    }

    private static void vector(StringBuilder b, VersionVector v) {
        boolean first = true;
        for (Map.Entry<String, Long> c : v.counters().entrySet()) {
            b.append(first ? "" : ",").append(esc(c.getKey()).replace(",", "%2C").replace("=", "%3D")).append('=')
                    .append(c.getValue());
            first = false;
        }
    }

    private static VersionVector parseVector(String text) {
        Map<String, Long> m = new TreeMap<>();
        if (!text.isEmpty()) {
            for (String part : text.split(",")) {
                int eq = part.indexOf('=');
                m.put(unesc(part.substring(0, eq)), Long.parseLong(part.substring(eq + 1)));
            }
        }
        return VersionVector.of(m);
    }

    static String esc(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String r = switch (c) {
                case '\t' -> "%09";
                case '\n' -> "%0A";
                case '\r' -> "%0D";
                case '%' -> "%25";
                default -> null;
            };
            if (r != null && b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (b != null) {
                if (r != null) {
                    b.append(r);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }

    static String unesc(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
