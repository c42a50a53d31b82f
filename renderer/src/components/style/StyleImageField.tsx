import type { ReferenceImage } from '../../editor/imagePrompt.ts';
import { ImagePicker, type PickedFile } from '../ui/ImagePicker.tsx';

interface StyleImageFieldProps {
  image: ReferenceImage | null;
  onFile(file: PickedFile): void;
  onClear(): void;
}

/** The style image: its thumbnail with Replace/Remove, or a picker while there is none. */
export function StyleImageField({ image, onFile, onClear }: StyleImageFieldProps) {
  if (!image) {
    return <ImagePicker label="Choose style image…" hint="or drop or paste one here" testId="style-file" onFiles={([f]) => onFile(f)} />;
  }
  return (
    <div className="style-image" data-testid="style-image">
      <img className="ref-thumb" src={image.url} alt={`Style image: ${image.name}`} title={image.name} />
      <span className="style-name small" title={image.name}>{image.name}</span>
      <button className="small" onClick={onClear} aria-label="Remove the style image" data-testid="style-remove">
        Remove
      </button>
    </div>
  );
}
