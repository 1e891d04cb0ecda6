package dev.tokenkeeper.demo;

import java.util.List;
import java.util.Objects;

/**
 * A proposal: a title, its owner and the users invited to work on it. Immutable.
 *
 * @param id the proposal's id
 * @param title its title
 * @param owner the username that created it
 * @param collaborators usernames invited by the owner, in invitation order
 * @param created when it was created (ISO-8601)
 */
record Proposal(String id, String title, String owner, List<String> collaborators, String created) {

  Proposal {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(owner, "owner");
    collaborators = List.copyOf(collaborators);
    Objects.requireNonNull(created, "created");
  }

  boolean isVisibleTo(String username) {
    return owner.equals(username) || collaborators.contains(username);
  }

  Proposal withCollaborator(String username) {
    if (collaborators.contains(username) || owner.equals(username)) {
      return this;
    }
    List<String> more = new java.util.ArrayList<>(collaborators);
    more.add(username);
    return new Proposal(id, title, owner, more, created);
  }
}
