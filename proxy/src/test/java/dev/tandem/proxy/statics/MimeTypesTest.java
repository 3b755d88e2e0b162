package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MimeTypesTest {

    @Test
    void builtInTableExtraTypesAndUnknowns() {
        MimeTypes t = new MimeTypes(Map.of("md", "text/x-markdown", "webp", "image/x-webp", "Foo", "application/foo"));
        assertEquals("text/html; charset=utf-8", t.of("index.html").toString());
        assertEquals("text/javascript; charset=utf-8", t.of("app.MJS").toString());
        assertEquals("font/woff2", t.of("f.woff2").toString());
        assertEquals("application/wasm", t.of("m.wasm").toString());
        assertEquals("image/jpeg", t.of("a.b.JPEG").toString());
        assertEquals("text/x-markdown", t.of("README.md").toString());
        assertEquals("image/x-webp", t.of("a.webp").toString());
        assertEquals("application/foo", t.of("x.foo").toString());
        assertEquals("application/octet-stream", t.of("Makefile").toString());
        assertEquals("application/octet-stream", t.of("x.unknown").toString());
        assertEquals("application/octet-stream", t.of("trailing.").toString());
    }
}
