package dev.tandem.proxy.statics;

import io.netty.util.AsciiString;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code Content-Type} by file extension: a built-in table of what websites serve, extended (or
 * overridden) per site by {@code static.mime_types}. Text types carry {@code charset=utf-8}, as the web
 * serves them today; anything unknown is {@code application/octet-stream}, which browsers download
 * rather than render.
 */
final class MimeTypes {

    static final AsciiString OCTET_STREAM = AsciiString.cached("application/octet-stream");

    private static final Map<String, String> BUILT_IN = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("csv", "text/csv; charset=utf-8"),
            Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("xml", "application/xml"),
            Map.entry("rss", "application/rss+xml"),
            Map.entry("atom", "application/atom+xml"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"),
            Map.entry("webp", "image/webp"),
            Map.entry("avif", "image/avif"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("bmp", "image/bmp"),
            Map.entry("tif", "image/tiff"),
            Map.entry("tiff", "image/tiff"),
            Map.entry("woff", "font/woff"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"),
            Map.entry("otf", "font/otf"),
            Map.entry("eot", "application/vnd.ms-fontobject"),
            Map.entry("pdf", "application/pdf"),
            Map.entry("zip", "application/zip"),
            Map.entry("gz", "application/gzip"),
            Map.entry("tgz", "application/gzip"),
            Map.entry("br", "application/x-brotli"),
            Map.entry("tar", "application/x-tar"),
            Map.entry("rar", "application/vnd.rar"),
            Map.entry("7z", "application/x-7z-compressed"),
            Map.entry("swf", "application/x-shockwave-flash"),
            Map.entry("wasm", "application/wasm"),
            Map.entry("mp4", "video/mp4"),
            Map.entry("m4v", "video/mp4"),
            Map.entry("webm", "video/webm"),
            Map.entry("ogv", "video/ogg"),
            Map.entry("mov", "video/quicktime"),
            Map.entry("mp3", "audio/mpeg"),
            Map.entry("m4a", "audio/mp4"),
            Map.entry("ogg", "audio/ogg"),
            Map.entry("oga", "audio/ogg"),
            Map.entry("wav", "audio/wav"),
            Map.entry("flac", "audio/flac"),
            Map.entry("vtt", "text/vtt; charset=utf-8"));

    private final Map<String, AsciiString> types;

    /** @param extra extension (lowercase, no dot) to media type, taking precedence over the built-in table */
    MimeTypes(Map<String, String> extra) {
        Map<String, AsciiString> t = new HashMap<>();
        BUILT_IN.forEach((ext, type) -> t.put(ext, AsciiString.cached(type)));
        extra.forEach((ext, type) -> t.put(ext.toLowerCase(Locale.ROOT), AsciiString.cached(type)));
        this.types = Map.copyOf(t);
    }

    /** The type of a file called {@code fileName}; the extension is what follows its last dot. */
    AsciiString of(String fileName) {
        int dot = fileName.lastIndexOf('.');
        if (dot < 0 || dot == fileName.length() - 1) {
            return OCTET_STREAM;
        }
        AsciiString t = types.get(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
        return t != null ? t : OCTET_STREAM;
    }
}
