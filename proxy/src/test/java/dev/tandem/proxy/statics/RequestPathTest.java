package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.proxy.statics.RequestPath.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestPathTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "/                         | ``                 | true",
            "/a.css                    | a.css              | false",
            "/css/site.css?v=3         | css/site.css       | false",
            "/docs/                    | docs               | true",
            "//a///b.png               | a/b.png            | false",
            "/caf%C3%A9.png            | café.png           | false",
            "/a%20b.txt                | a b.txt            | false",
            "/%252e%252e/x             | %2e%2e/x           | false",
            "/a/b%3Fc                  | a/b?c              | false",
            "/...                      | ...                | false",
    })
    void filePaths(String target, String relative, boolean directory) {
        RequestPath p = RequestPath.parse(target, true);
        assertEquals(Kind.FILE, p.kind(), p.reason());
        assertEquals(relative, p.relative());
        assertEquals(directory, p.directory());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "/../secret",
            "/a/../../secret",
            "/%2e%2e/secret",
            "/%2E%2e/secret",
            "/.%2e/secret",
            "/./a",
            "/a/.",
            "/a/..",
            "/%2e/a",
            "/..%2fsecret",
            "/%2e%2e%2fsecret",
            "/%c0%ae%c0%ae/secret",
            "/%e0%80%ae%e0%80%ae/secret",
            "/%c0%af",
            "/%ff",
            "/%ed%a0%80",
            "/a%00.png",
            "/a%0a.png",
            "/a%7f",
            "/%zz",
            "/%2",
            "/a%",
            "/%u002e%u002e/x",
            "relative",
    })
    void badPaths(String target) {
        assertEquals(Kind.BAD, RequestPath.parse(target, true).kind());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "/a%2Fb",
            "/a%5cb",
            "/a\\b",
            "/..\\secret",
    })
    void notFiles(String target) {
        assertEquals(Kind.NOT_A_FILE, RequestPath.parse(target, true).kind());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {"/.env", "/.git/config", "/a/.htaccess", "/%2eenv", "/..."})
    void hiddenUnlessAllowed(String target) {
        assertEquals(Kind.NOT_A_FILE, RequestPath.parse(target, false).kind());
        assertEquals(Kind.FILE, RequestPath.parse(target, true).kind());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {"/a|a", "/a/|a/", "/|/", "/a//b/|a/b/"})
    void keysTellFilesFromDirectories(String target, String key) {
        assertEquals(key, RequestPath.parse(target, false).key());
    }
}
