package dev.tandem.cluster.mirror.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** A {@link Disk} in memory: regular files with their content and stat, and the directories made for them. */
final class MemoryDisk implements Disk {

    private record File(byte[] content, FileStore.Stat stat) {
    }

    private final Map<Path, File> files = new TreeMap<>();
    private final Set<Path> dirs = new HashSet<>();
    private long inode = 1;

    /** A directory, empty until files are written under it. */
    MemoryDisk mkdir(Path dir) {
        dirs.add(dir);
        return this;
    }

    /** Writes {@code content} to {@code file}, modified at {@code mtimeMillis} (epoch). */
    void write(Path file, String content, long mtimeMillis) {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        long t = mtimeMillis * 1_000_000L;
        files.put(file, new File(b, new FileStore.Stat(b.length, t, t, inode++, 0644, 0, 0, false)));
        for (Path p = file.getParent(); p != null; p = p.getParent()) {
            dirs.add(p);
        }
    }

    void delete(Path file) {
        files.remove(file);
    }

    /** Renames {@code from} over {@code to}, as the driver puts a received file in place. */
    void move(Path from, Path to) throws IOException {
        File f = files.remove(from);
        if (f == null) {
            throw new java.nio.file.NoSuchFileException(from.toString());
        }
        files.put(to, f);
    }

    /** A copy of {@code from} at {@code to}, a file of its own (as a conflict copy is kept beside). */
    void copy(Path from, Path to) throws IOException {
        File f = files.get(from);
        if (f == null) {
            throw new java.nio.file.NoSuchFileException(from.toString());
        }
        FileStore.Stat s = f.stat();
        files.put(to, new File(f.content(), new FileStore.Stat(s.size(), s.mtimeNanos(), s.ctimeNanos(), inode++, s.mode(),
                s.uid(), s.gid(), false)));
    }

    /** The content of {@code file} as text, or null when there is none. */
    String text(Path file) {
        File f = files.get(file);
        return f == null ? null : new String(f.content(), StandardCharsets.UTF_8);
    }

    @Override
    public FileStore.Stat stat(Path path) {
        File f = files.get(path);
        return f == null ? null : f.stat();
    }

    @Override
    public boolean directory(Path path, boolean followLinks) {
        return dirs.contains(path);
    }

    @Override
    public boolean exists(Path path) {
        return files.containsKey(path) || dirs.contains(path);
    }

    @Override
    public String hash(Path path) throws IOException {
        return FileStore.hex(FileStore.sha256().digest(read(path)));
    }

    @Override
    public byte[] read(Path path) throws IOException {
        File f = files.get(path);
        if (f == null) {
            throw new java.nio.file.NoSuchFileException(path.toString());
        }
        return f.content();
    }

    @Override
    public String linkTarget(Path path) throws IOException {
        throw new IOException(path + ": not a link");
    }

    @Override
    public Path realPath(Path path) {
        return exists(path) ? path : null;
    }

    @Override
    public String[] owners(Path path) {
        return new String[]{"", ""};
    }

    @Override
    public boolean noLinksBetween(Path root, Path target) {
        return true; // no links in memory
    }

    @Override
    public CertificatePairs.Half certificateHalf(Path path) {
        File f = files.get(path);
        return f == null ? CertificatePairs.Half.missing() : CertificatePairs.Half.of(f.content());
    }

    @Override
    public List<Walked> walk(Path dir) {
        List<Walked> out = new ArrayList<>();
        files.keySet().stream().filter(p -> p.startsWith(dir) && !p.equals(dir))
                .forEach(p -> out.add(new Walked(p, true, false)));
        return out;
    }
}
