package dev.tandem.proxy.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class RouterTest {

    private final Router<String> router = Router.<String>builder()
            .add("example.com", "exact")
            .add("www.example.com", "www")
            .add("*.example.com", "wild")
            .add("*.api.example.com", "api-wild")
            .add("*", "any")
            .build();

    @Test
    void exactNameWinsOverWildcards() {
        assertEquals("exact", router.route("example.com"));
        assertEquals("www", router.route("www.example.com"));
    }

    @Test
    void theLongestWildcardWins() {
        assertEquals("wild", router.route("shop.example.com"));
        assertEquals("wild", router.route("a.b.example.com"));
        assertEquals("api-wild", router.route("v1.api.example.com"));
        // a wildcard needs at least one label in front of its suffix
        assertEquals("wild", router.route("api.example.com"));
    }

    @Test
    void anythingElseGoesToTheCatchAll() {
        assertEquals("any", router.route("other.org"));
        assertEquals("any", router.route("notexample.com"));
        assertEquals("any", router.route(null));
        assertEquals("any", router.route(""));
    }

    @Test
    void portsCaseAndTheTrailingDotDoNotMatter() {
        assertEquals("exact", router.route("example.com:8080"));
        assertEquals("exact", router.route("EXAMPLE.Com"));
        assertEquals("exact", router.route("example.com."));
        assertEquals("exact", router.route("Example.COM.:443"));
        assertEquals("wild", router.route("Shop.Example.Com:80"));
    }

    @Test
    void patternsAreCaseInsensitiveToo() {
        Router<String> r = Router.<String>builder().add("Mixed.Example", "m").add("*.UPPER.example", "u").build();
        assertEquals("m", r.route("mixed.example"));
        assertEquals("u", r.route("x.upper.example"));
    }

    @Test
    void withoutACatchAllAnUnknownHostHasNoSite() {
        Router<String> r = Router.<String>builder().add("a.example", "a").build();
        assertNull(r.route("b.example"));
        assertNull(r.route(null));
    }

    @Test
    void ipv6LiteralsRouteByTheirBracketedForm() {
        Router<String> r = Router.<String>builder().add("[::1]", "v6").build();
        assertEquals("v6", r.route("[::1]:8080"));
        assertEquals("v6", r.route("[::1]"));
        assertEquals("[::1]", Router.normalize("[::1]:80"));
        assertNull(Router.normalize("[::1"));
    }

    @Test
    void theFirstSiteToClaimAPatternKeepsIt() {
        Router<String> r = Router.<String>builder().add("a.example", "first").add("a.example", "second")
                .add("*", "any1").add("*", "any2").build();
        assertEquals("first", r.route("a.example"));
        assertEquals("any1", r.route("zzz"));
    }
}
