package dev.tokenkeeper.examples.springboot;

import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The protected API: each user's notes, kept in memory. Spring gives the token's subject. */
@RestController
class NotesController {

  record Note(String text) {}

  private final Map<String, List<String>> notes = new ConcurrentHashMap<>();

  @GetMapping("/api/notes")
  Map<String, Object> list(Principal user) {
    return Map.of("user", user.getName(), "notes", notes.getOrDefault(user.getName(), List.of()));
  }

  @PostMapping("/api/notes")
  ResponseEntity<Map<String, Object>> add(Principal user, @RequestBody Note note) {
    if (note.text() == null || note.text().isEmpty() || note.text().length() > 1000) {
      return ResponseEntity.badRequest().body(Map.of("error", "invalid_request",
          "error_description", "text must be 1 to 1000 characters"));
    }
    notes.computeIfAbsent(user.getName(), name -> new CopyOnWriteArrayList<>()).add(note.text());
    return ResponseEntity.ok(list(user));
  }
}
