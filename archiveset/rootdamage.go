package archiveset

// Members whose root attributes disagree: another set's file, or a member
// of this set with damaged root attributes. The index tells them apart:
// every member of one set carries the same index (the side index with its
// run's random id, or the JSON), so members whose indexes are identical
// are one set's, and an attribute that disagrees with the index and the
// other members is damage in that member.

import (
	"fmt"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
)

// rootDamage returns err (a set-level refusal: "not the same set",
// duplicate or missing members) as damage naming the members and the
// attributes that differ, when the members' indexes prove them one set's;
// otherwise err unchanged.
func rootDamage(ms []*Member, err error) error {
	ids := make([]string, len(ms))
	var side *archive.SideHeader
	for i, m := range ms {
		id, h, ierr := indexIdentity(m)
		if ierr != nil || (i > 0 && id != ids[0]) {
			return err // unreadable or different indexes: not provably one set
		}
		ids[i] = id
		if h != nil {
			side = h
		}
	}
	numFiles := func(m *Member) string { return fmt.Sprint(max(1, m.root.NumFiles)) }
	chunk := func(m *Member) string { return fmt.Sprint(m.root.ChunkSize) }
	wantN, wantChunk := majority(ms, numFiles), majority(ms, chunk)
	if side != nil {
		wantN, wantChunk = fmt.Sprint(side.Members), fmt.Sprint(side.ChunkSize)
	}
	byMember := map[*Member][]string{}
	var ties []string
	check := func(attr, want string, value func(*Member) string) {
		if want == "" {
			ties = append(ties, disagreement(ms, attr, value)...)
			return
		}
		for _, m := range ms {
			if got := value(m); got != want {
				byMember[m] = append(byMember[m], fmt.Sprintf("%s is %s, the set's is %s", attr, got, want))
			}
		}
	}
	check(archive.AttrNumFiles, wantN, numFiles)
	check(archive.AttrChunkSize, wantChunk, chunk)
	version := func(m *Member) string { return fmt.Sprintf("%q", m.root.Version) }
	check(archive.AttrVersion, majority(ms, version), version)
	var lines []string
	for _, m := range ms {
		bad := byMember[m]
		if _, k, ok := archive.SplitMember(m.Path); ok && len(ms) > 1 && k != m.root.FileNumber {
			bad = append(bad, fmt.Sprintf("%s is %d, its name says %d", archive.AttrFileNumber, m.root.FileNumber, k))
		}
		if len(bad) > 0 {
			lines = append(lines, fmt.Sprintf("member %s: damaged root attributes (its index is the set's): %s", m.Path, strings.Join(bad, "; ")))
		}
	}
	lines = append(lines, ties...)
	if len(lines) == 0 {
		return err
	}
	return archive.Damaged(fmt.Errorf("%s", strings.Join(lines, "\n  ")))
}

// indexIdentity is what a member's index says about its set: the side
// index header (the run's random id and checksums) when it has one, else
// the JSON index's hash.
func indexIdentity(m *Member) (string, *archive.SideHeader, error) {
	if info, err := m.R.Stat(archive.SideIndexName); err == nil && info.Offset >= 0 && info.Size >= archive.SideHeaderLen {
		b, err := m.R.PayloadAt(info.Offset, archive.SideHeaderLen, nil)
		if err != nil {
			return "", nil, err
		}
		h, err := archive.ParseSideHeader(b, info.Size)
		if err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("side %x %d %x %x", h.SetID, h.Members, h.TableSum, h.InfoSum), &h, nil
	}
	sum, err := infoSum(m.R)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("json %x", sum), nil, nil
}

// disagreement describes members that split evenly on an attribute
// (nothing if they agree).
func disagreement(ms []*Member, attr string, value func(*Member) string) []string {
	var says []string
	for _, m := range ms {
		says = append(says, fmt.Sprintf("%s says %s", m.Path, value(m)))
	}
	return []string{fmt.Sprintf("members disagree on %s though their indexes are identical (one of them is damaged): %s",
		attr, strings.Join(says, ", "))}
}

// majority is the value most members have, "" on a tie (two members that
// disagree: neither can be told to be the damaged one by this alone).
func majority(ms []*Member, value func(*Member) string) string {
	count := map[string]int{}
	best, n, tie := "", 0, false
	for _, m := range ms {
		v := value(m)
		count[v]++
		switch c := count[v]; {
		case c > n:
			best, n, tie = v, c, false
		case c == n && v != best:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}
