/** Titles the demo station plays: ordinary ones, and the kinds that break naive pages. */
export const PLAYLIST = [
  'Sigur Rós – Hoppípolla',
  'Nina Simone - Feeling Good',
  '宇多田ヒカル - 初恋',
  'Björk - Jóga',
  'Godspeed You! Black Emperor - Storm (Lift Yr. Skinny Fists Like Antennas to Heaven), a very long title that has to scroll',
  'Daft Punk - Around the World',
  'Fela Kuti - Water No Get Enemy 🎷',
];
